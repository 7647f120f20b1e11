import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseAllDocuments, type Document, type LineCounter } from "yaml";
import { validateStructure } from "../schema/structural-schema.js";
import { IAM_CRD_SCHEMAS, serviceAccountSchema } from "./crd-schemas.js";
import { isKnownActionPattern, unknownActionMessage } from "./action-names.js";
import { CONDITION_OPERATORS, type Condition, type IamManifests, type JwtIssuerObject, type PolicyObject, type RoleObject, type ServiceAccountObject } from "./types.js";

/** The namespace the IAM objects live in (https://docs.openfaas.com/openfaas-pro/iam/overview/). */
export const IAM_NAMESPACE = "openfaas";
/** `*` (the cluster) or `<namespace>:<function>`, either part a pattern with `*` wildcards (https://docs.openfaas.com/openfaas-pro/iam/overview/, resource scope). */
export const RESOURCE = /^(\*|[^:\s]+:[^:\s]+)$/;
/** A Kubernetes object name (`metadata.name`): a DNS-1123 subdomain (also at most 253 characters). */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A manifest that must stop start-up: names the file, the object and the field. */
export class ManifestError extends Error {
  constructor(
    readonly file: string,
    readonly object: string,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${file}: ${object}: ${field}: ${problem}`);
    this.name = "ManifestError";
  }
}

/**
 * Expands files and directories (non-recursive, `.yaml`/`.yml`, sorted) into a list of files. A file
 * reached twice (a folder passed that is already loaded, a symlink, a file inside a loaded folder)
 * is read once: files are told apart by their real path, so the same objects never clash with themselves.
 */
export async function expandManifestPaths(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  const seen = new Set<string>();
  const add = async (file: string) => {
    const real = await realpath(file);
    if (seen.has(real)) return;
    seen.add(real);
    files.push(file);
  };
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new ManifestError(path, "-", "-", "file or directory does not exist");
    if (info.isDirectory()) {
      const names = (await readdir(path)).filter((n) => /\.ya?ml$/.test(n)).sort();
      for (const n of names) await add(join(path, n));
    } else await add(path);
  }
  return files;
}

/** Manifest text that is no file on disk (rendered in memory), named by `file` in errors and `source`. */
export interface ManifestText {
  file: string;
  text: string;
}

/**
 * Loads JwtIssuer, Policy and Role objects (and core v1 ServiceAccounts) from multi-document YAML:
 * the files of `paths`, then `texts`. Each object is validated against the CRD schema plus the
 * semantic rules of the IAM docs (https://docs.openfaas.com/openfaas-pro/iam/overview/). Other kinds
 * (Kyverno policies, Deployments, ...) are skipped with a warning through `warn`.
 */
export async function loadManifests(paths: string[], warn: (line: string) => void = () => {}, texts: readonly ManifestText[] = []): Promise<IamManifests> {
  const out: IamManifests = { issuers: [], policies: [], roles: [], serviceAccounts: [] };
  const seen = new Map<string, string>();
  for (const file of await expandManifestPaths(paths)) addDocuments({ file, text: await readFile(file, "utf8") }, out, seen, warn);
  for (const text of texts) addDocuments(text, out, seen, warn);
  return out;
}

/** One parsed document of a manifest text (`index` counts from 0). */
export interface ManifestDocument {
  file: string;
  index: number;
  doc: Document.Parsed;
}

/**
 * Parses every document of a manifest text; throws a {@link ManifestError} naming the document when
 * one is not valid YAML. With a `lineCounter`, node offsets can be turned into lines (for lint).
 */
export function parseManifestText({ file, text }: ManifestText, lineCounter?: LineCounter): ManifestDocument[] {
  const docs = parseAllDocuments(text, { prettyErrors: true, ...(lineCounter ? { lineCounter } : {}) });
  if (!Array.isArray(docs)) return []; // an empty file
  return docs.map((doc, index) => {
    // The first line of yaml's message names the problem and where; the rest quotes the file, which is left out.
    if (doc.errors.length > 0) throw new ManifestError(file, `document ${index + 1}`, "-", `invalid YAML: ${doc.errors[0]!.message.split("\n")[0]!.replace(/:$/, "")}`);
    return { file, index, doc };
  });
}

/** A loaded object of any kind the loader keeps. */
export type ManifestObject = JwtIssuerObject | PolicyObject | RoleObject | (ServiceAccountObject & { kind: "ServiceAccount" });

/** What one document holds, and what is wrong with it. */
export interface DocumentReading {
  /** `Kind/name (document n)`, for messages. */
  objectName: string;
  /** The object, when the document is an IAM object or a ServiceAccount without problems. */
  object?: ManifestObject;
  /** `Kind/namespace/name`, when the document names an IAM object or a ServiceAccount (two of one key clash). */
  key?: string;
  /** Every problem found, each at a field (`spec.statement[0].action[1]`); the loader refuses the first. */
  problems: { field: string; problem: string }[];
  /** Set when the document is of a kind the loader skips: the warning to give. */
  ignored?: string;
}

/** Checks one document's value (`source` = `file#<document number>`) against the CRD schemas and the IAM docs' rules. */
export function readDocument(value: unknown, file: string, index: number): DocumentReading {
  const where = `document ${index + 1}`;
  const fail = (objectName: string, field: string, problem: string): DocumentReading => ({ objectName, problems: [{ field, problem }] });
  if (value === null || value === undefined) return { objectName: where, problems: [] };
  if (typeof value !== "object" || Array.isArray(value)) return fail(where, "(root)", "must be a mapping with apiVersion and kind");
  const obj = value as Record<string, unknown>;
  const kind = obj["kind"];
  const apiVersion = obj["apiVersion"];
  if (typeof kind !== "string" || typeof apiVersion !== "string") return fail(where, typeof kind !== "string" ? "kind" : "apiVersion", "is required and must be a string");
  const metadata = (obj["metadata"] ?? {}) as Record<string, unknown>;
  const name = typeof metadata["name"] === "string" ? metadata["name"] : "";
  const objectName = `${kind}/${name || "(unnamed)"} (${where})`;
  const source = `${file}#${index + 1}`;
  const isIam = apiVersion === "iam.openfaas.com/v1" && kind in IAM_CRD_SCHEMAS;
  const isServiceAccount = apiVersion === "v1" && kind === "ServiceAccount";
  if (!isIam && !isServiceAccount) {
    if (apiVersion.startsWith("iam.openfaas.com/")) return fail(objectName, "apiVersion/kind", `unknown IAM kind ${apiVersion} ${kind}; expected iam.openfaas.com/v1 JwtIssuer, Policy or Role`);
    return { objectName, problems: [], ignored: `manifests: ignoring ${apiVersion} ${kind} "${name}" in ${file} (not an IAM object)` };
  }
  if (typeof metadata !== "object" || Array.isArray(metadata)) return fail(objectName, "metadata", "must be an object");
  if (!DNS1123_SUBDOMAIN.test(name) || name.length > 253) return fail(objectName, "metadata.name", "is required and must be a DNS-1123 subdomain");
  const namespace = typeof metadata["namespace"] === "string" ? metadata["namespace"] : isIam ? IAM_NAMESPACE : "default";
  const key = `${kind}/${namespace}/${name}`;
  const schema = isIam ? IAM_CRD_SCHEMAS[kind as keyof typeof IAM_CRD_SCHEMAS] : serviceAccountSchema;
  const problems = validateStructure(obj, schema).map((v) => ({ field: v.path, problem: v.message }));
  if (problems.length > 0) return { objectName, key, problems };
  if (isServiceAccount) return { objectName, key, problems, object: { kind: "ServiceAccount", name, namespace, source } };
  const spec = obj["spec"] as Record<string, unknown>;
  checkSemantics(kind, spec, (field, problem) => void problems.push({ field, problem }));
  if (problems.length > 0) return { objectName, key, problems };
  const fields = { name, namespace, source, spec: spec as never };
  const object: ManifestObject = kind === "JwtIssuer" ? { kind, ...fields } : kind === "Policy" ? { kind, ...fields } : { kind: "Role", ...fields };
  return { objectName, key, problems, object };
}

/** Validates the documents of one text into `out`; `seen` (kind/namespace/name → source) refuses a second object of one name. */
function addDocuments(text: ManifestText, out: IamManifests, seen: Map<string, string>, warn: (line: string) => void): void {
  for (const { file, index, doc } of parseManifestText(text)) {
    const reading = readDocument(doc.toJS(), file, index);
    if (reading.ignored !== undefined) warn(reading.ignored);
    const first = reading.problems[0];
    if (first) throw new ManifestError(file, reading.objectName, first.field, first.problem);
    const object = reading.object;
    if (!object) continue;
    if (seen.has(reading.key!)) throw new ManifestError(file, reading.objectName, "metadata.name", `duplicate ${object.kind} "${object.name}" (first defined in ${seen.get(reading.key!)})`);
    seen.set(reading.key!, object.source);
    if (object.kind === "ServiceAccount") {
      out.serviceAccounts.push({ name: object.name, namespace: object.namespace, source: object.source });
      continue;
    }
    if (object.namespace !== IAM_NAMESPACE) warn(`manifests: ${object.kind} "${object.name}" is in namespace "${object.namespace}"; OpenFaaS reads IAM objects from "${IAM_NAMESPACE}" (loaded anyway)`);
    if (object.kind === "JwtIssuer") out.issuers.push(object);
    else if (object.kind === "Policy") out.policies.push(object);
    else out.roles.push(object);
  }
}

type Report = (field: string, problem: string) => void;

/** Rules the structural schema cannot express but the IAM docs state (https://docs.openfaas.com/openfaas-pro/iam/overview/); every problem is reported. */
function checkSemantics(kind: string, spec: Record<string, unknown>, report: Report): void {
  if (kind === "JwtIssuer") {
    const s = spec as { iss: string; aud: string[]; issInternal?: string; tokenExpiry?: string };
    if (s.iss.trim() === "") report("spec.iss", "must not be empty");
    if (s.aud.length === 0) report("spec.aud", "must list at least one audience");
    if (s.issInternal !== undefined && !isHttpUrl(s.issInternal)) report("spec.issInternal", "must be an http(s) URL");
    if (s.tokenExpiry !== undefined && parseDuration(s.tokenExpiry) === undefined) report("spec.tokenExpiry", `"${s.tokenExpiry}" is not a duration such as 2h, 30m or 1h30m`);
  } else if (kind === "Policy") {
    const statements = (spec as { statement: { effect: string; action: string[]; resource: string[]; condition?: Condition }[] }).statement;
    statements.forEach((st, i) => {
      if (st.effect !== "Allow") report(`spec.statement[${i}].effect`, `only "Allow" is supported, got "${st.effect}"`);
      if (st.action.length === 0) report(`spec.statement[${i}].action`, "must list at least one action");
      if (st.resource.length === 0) report(`spec.statement[${i}].resource`, "must list at least one resource");
      // A misspelt action or resource grants nothing and would fail only at request time: refuse it here.
      st.action.forEach((a, j) => {
        if (!isKnownActionPattern(a)) report(`spec.statement[${i}].action[${j}]`, unknownActionMessage(a));
      });
      st.resource.forEach((r, j) => {
        if (!RESOURCE.test(r)) report(`spec.statement[${i}].resource[${j}]`, `"${r}" is not a resource; expected *, <namespace>:* or <namespace>:<function> (* is a wildcard)`);
      });
      if (st.condition) checkCondition(st.condition, `spec.statement[${i}].condition`, report);
    });
  } else {
    const s = spec as { principal?: Record<string, string[]>; condition?: Condition; policy?: string[] };
    for (const [key, subjects] of Object.entries(s.principal ?? {})) {
      if (key !== "jwt:sub") report(`spec.principal["${key}"]`, 'only "jwt:sub" is supported as a principal');
      else if (subjects.length === 0) report(`spec.principal["${key}"]`, "must list at least one subject, or the Role matches nobody");
    }
    if (!s.principal && !s.condition) report("spec", "a Role needs a principal or a condition, or it matches nobody");
    if (s.condition) checkCondition(s.condition, "spec.condition", report);
  }
}

function checkCondition(condition: Condition, field: string, report: Report): void {
  for (const [operator, keys] of Object.entries(condition)) {
    if (!(CONDITION_OPERATORS as readonly string[]).includes(operator)) {
      report(`${field}["${operator}"]`, `unknown operator; expected one of ${CONDITION_OPERATORS.join(", ")}`);
      continue;
    }
    for (const [key, values] of Object.entries(keys)) {
      if (!key.startsWith("jwt:") || key.length === 4) report(`${field}["${operator}"]["${key}"]`, 'condition keys name a claim as "jwt:<claim>"');
      // Values are ORed: an empty list can never hold, so the statement or Role would match nobody.
      else if (values.length === 0) report(`${field}["${operator}"]["${key}"]`, "must list at least one value");
    }
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

/** Parses a Go-style duration (`2h`, `1h30m`, `90s`, `500ms`) into seconds; undefined if invalid or ≤ 0. */
export function parseDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;
  let total = 0;
  let index = 0;
  if (text.length === 0) return undefined;
  while (index < text.length) {
    re.lastIndex = index;
    const m = re.exec(text);
    if (!m) return undefined;
    const n = Number(m[1]);
    total += m[2] === "h" ? n * 3600 : m[2] === "m" ? n * 60 : m[2] === "s" ? n : n / 1000;
    index = re.lastIndex;
  }
  return total > 0 ? total : undefined;
}
