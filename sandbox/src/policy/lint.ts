/**
 * `npm run policy -- lint [paths…]`: findings in IAM manifests, each with a rule id, the file and
 * line, and why it matters ({@link RULES}). Without paths it lints what `npm start` loads. Documents
 * are read with the loader's own checks ({@link readDocument}), so a finding is never about
 * something the sandbox reads otherwise. A finding can be accepted in the manifest with a reason.
 */
import { readFile } from "node:fs/promises";
import { isMap, isScalar, isSeq, LineCounter, type Document } from "yaml";
import { expandManifestPaths, parseManifestText, readDocument, type ManifestObject, type ManifestText } from "../iam/manifest-loader.js";
import { shownPath } from "./display.js";
import { PolicyToolError } from "./errors.js";
import { loadStackIfAny, projectManifestSources } from "./identity.js";
import { ACCEPT_ANNOTATION_PREFIX, problemRule, RULES, runRules, type LintObject, type RuleId } from "./lint-rules.js";
import { DEFAULT_FUNCTION_NAMESPACE } from "../state/state-store.js";

/** What to lint and how strictly. */
export interface LintOptions {
  /** Files and folders; none: the project's, as `npm start` loads them. */
  paths: string[];
  root: string;
  stack: string;
  /** Extra manifests, linted with `paths` or with the project's. */
  manifests: string[];
  /** Warnings fail too. */
  strict: boolean;
  json: boolean;
}

/** One finding, where it is and why it matters. */
export interface Finding {
  rule: RuleId;
  severity: "error" | "warning";
  /** The file as given (a rendered text is named `<file> (rendered)`). */
  file: string;
  /** The line of the field in the file; absent for rendered text. */
  line?: number;
  /** `Kind/name` (or `document n` when the document names no object). */
  object: string;
  field: string;
  message: string;
  /** The reason given in the manifest, when the finding is accepted. */
  accepted?: string;
}

/** The findings over the files and texts read. */
export interface LintReport {
  findings: Finding[];
  files: number;
  objects: number;
}

/** Where a document came from: its parsed form and a line counter, or none for rendered text. */
interface Origin {
  file: string;
  doc: Document.Parsed;
  lines?: LineCounter;
}

/** Lints `paths` (or, without any, the project's manifests and rendered connectors). Throws `BAD_MANIFESTS` for input that is not YAML or not there. */
export async function lintManifests(o: Pick<LintOptions, "paths" | "root" | "stack" | "manifests">): Promise<LintReport> {
  const findings: Finding[] = [];
  const objects: LintObject[] = [];
  const origins = new Map<ManifestObject, Origin>();
  const refused = new Set<string>();
  const seen = new Map<string, string>();
  let stackNamespaces: string[];
  let files: ManifestText[];
  let rendered: ManifestText[];
  try {
    const stack = await loadStackIfAny(o.stack);
    stackNamespaces = [...new Set(stack.functions.map((f) => f.namespace ?? DEFAULT_FUNCTION_NAMESPACE))];
    const sources = o.paths.length > 0 ? { paths: [...o.paths, ...o.manifests], texts: [] } : await projectManifestSources(o.root, stack, o.manifests);
    files = await Promise.all((await expandManifestPaths(sources.paths)).map(async (file) => ({ file, text: await readFile(file, "utf8") })));
    rendered = sources.texts;
  } catch (err) {
    throw new PolicyToolError("BAD_MANIFESTS", (err as Error).message);
  }
  const read = (text: ManifestText, isFile: boolean) => {
    const lines = isFile ? new LineCounter() : undefined;
    let docs;
    try {
      docs = parseManifestText(text, lines);
    } catch (err) {
      throw new PolicyToolError("BAD_MANIFESTS", (err as Error).message);
    }
    for (const { file, index, doc } of docs) {
      const value: unknown = doc.toJS();
      const reading = readDocument(value, file, index);
      const origin: Origin = { file, doc, ...(lines ? { lines } : {}) };
      const kindName = reading.key?.replace(/\/[^/]*\//, "/");
      for (const p of reading.problems) {
        findings.push(finding(problemRule(kindOf(value), p.field, p.problem), origin, kindName ?? reading.objectName, p.field, p.problem));
      }
      if (reading.problems.length > 0 && kindName) refused.add(kindName);
      const object = reading.object;
      if (!object) continue;
      const first = seen.get(reading.key!);
      if (first !== undefined) {
        findings.push(finding("invalid-manifest", origin, kindName!, "metadata.name", `duplicate ${object.kind} "${object.name}" (first defined in ${first}): the sandbox refuses to start`));
        continue;
      }
      seen.set(reading.key!, object.source);
      origins.set(object, origin);
      objects.push({ object, annotations: annotationsOf(value) });
    }
  };
  for (const text of files) read(text, true);
  for (const text of rendered) read(text, false);

  const byObject = new Map<ManifestObject, Finding[]>();
  for (const f of runRules({ objects, refused, stackNamespaces })) {
    const made = finding(f.rule, origins.get(f.object)!, `${f.object.kind}/${f.object.name}`, f.field, f.message);
    findings.push(made);
    byObject.set(f.object, [...(byObject.get(f.object) ?? []), made]);
  }
  for (const o of objects) findings.push(...accept(o, origins.get(o.object)!, byObject.get(o.object) ?? []));
  findings.sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0) || a.rule.localeCompare(b.rule));
  return { findings, files: files.length + rendered.length, objects: objects.length };
}

/** Applies an object's accept annotations to its findings; returns findings about the annotations themselves. */
function accept(o: LintObject, origin: Origin, findings: Finding[]): Finding[] {
  const out: Finding[] = [];
  const name = `${o.object.kind}/${o.object.name}`;
  for (const [key, reason] of Object.entries(o.annotations)) {
    if (!key.startsWith(ACCEPT_ANNOTATION_PREFIX)) continue;
    const field = `metadata.annotations["${key}"]`;
    const rule = key.slice(ACCEPT_ANNOTATION_PREFIX.length);
    if (!(rule in RULES)) {
      out.push(finding("bad-accept", origin, name, field, `${key} names no rule; rules: ${Object.keys(RULES).join(", ")}`));
      continue;
    }
    if (RULES[rule as RuleId].severity === "error") {
      out.push(finding("bad-accept", origin, name, field, `${rule} is an error: it cannot be accepted, only mended`));
      continue;
    }
    if (reason.trim() === "") {
      out.push(finding("bad-accept", origin, name, field, `${key} gives no reason: say why the finding is right here`));
      continue;
    }
    const matching = findings.filter((f) => f.rule === rule);
    if (matching.length === 0) out.push(finding("unused-accept", origin, name, field, `${key}: no ${rule} finding on ${name} to accept; remove the annotation`));
    for (const f of matching) f.accepted = reason.trim();
  }
  return out;
}

function finding(rule: RuleId, origin: Origin, object: string, field: string, message: string): Finding {
  const line = origin.lines ? lineOf(origin.doc, origin.lines, field) : undefined;
  return { rule, severity: RULES[rule].severity, file: origin.lines ? shownPath(origin.file) : origin.file, ...(line !== undefined ? { line } : {}), object, field, message };
}

/**
 * The line of a field (`spec.statement[0].action[1]`, `spec.principal["jwt:sub"]`): of its key in a
 * mapping or its item in a list, or of the nearest parent that exists.
 */
function lineOf(doc: Document.Parsed, lines: LineCounter, field: string): number | undefined {
  let node: unknown = doc.contents;
  let offset = (node as { range?: [number, number, number] } | null)?.range?.[0];
  for (const m of field.matchAll(/\["([^"]*)"\]|\[(\d+)\]|\.?([^.[\]]+)/g)) {
    const segment = m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]!);
    let at: { range?: [number, number, number] | null } | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === segment);
      at = pair?.key as typeof at;
      node = pair?.value;
    } else if (isSeq(node) && typeof segment === "number") {
      node = node.items[segment];
      at = node as typeof at;
    } else break;
    if (!at?.range) break;
    offset = at.range[0];
  }
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

function kindOf(value: unknown): string {
  return value !== null && typeof value === "object" && typeof (value as Record<string, unknown>)["kind"] === "string" ? ((value as Record<string, unknown>)["kind"] as string) : "";
}

function annotationsOf(value: unknown): Record<string, string> {
  const annotations = ((value as { metadata?: { annotations?: unknown } }).metadata?.annotations ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(annotations).map(([k, v]) => [k, typeof v === "string" ? v : ""]));
}

/** `lint`: prints the findings; 1 when an error (or, with `strict`, a warning) is not accepted. */
export async function lintCommand(o: LintOptions, out: (text: string) => void): Promise<number> {
  const report = await lintManifests(o);
  const open = report.findings.filter((f) => f.accepted === undefined);
  const errors = open.filter((f) => f.severity === "error").length;
  const warnings = open.length - errors;
  const accepted = report.findings.length - open.length;
  const failed = errors > 0 || (o.strict && warnings > 0);
  if (o.json) {
    out(`${JSON.stringify({ findings: report.findings.map((f) => ({ ...f, line: f.line ?? null, why: RULES[f.rule].why, accepted: f.accepted ?? null })), summary: { files: report.files, objects: report.objects, errors, warnings, accepted, failed } }, null, 2)}\n`);
    return failed ? 1 : 0;
  }
  const lines: string[] = [];
  for (const f of report.findings) {
    lines.push(`${f.file}${f.line !== undefined ? `:${f.line}` : ""}: ${f.accepted !== undefined ? "accepted" : f.severity} ${f.rule}: ${f.object} ${f.field}: ${f.message}`);
    lines.push(f.accepted !== undefined ? `    accepted: ${f.accepted}` : `    why: ${RULES[f.rule].why}`);
  }
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  lines.push(`lint: ${plural(report.objects, "object")} in ${plural(report.files, "file")}: ${plural(errors, "error")}, ${plural(warnings, "warning")}, ${accepted} accepted${failed ? "" : warnings > 0 ? " (warnings pass without --strict)" : ""}`);
  out(`${lines.join("\n")}\n`);
  return failed ? 1 : 0;
}
