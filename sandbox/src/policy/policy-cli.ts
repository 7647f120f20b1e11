#!/usr/bin/env node
/**
 * `npm run policy -- <suggest|diff|check> ...`: least privilege from evidence. Reads the sandbox's
 * audit log and derives a function's least Policy (suggest), compares it with the Policy in force
 * (diff), or holds every shipped Policy to an e2e trail (check). See {@link USAGE}.
 */
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DNS1123_SUBDOMAIN, parseDuration } from "../iam/manifest-loader.js";
import { isRfc1123Label } from "../names.js";
import { findStackFile, STACK_FILE_NAMES } from "../project.js";
import { stateDirFor } from "../state/state-dir.js";
import { auditLogsAt } from "./audit-reader.js";
import { checkPolicies, readCheckList, type CheckList } from "./check.js";
import { diffPolicies, formatDiff } from "./diff.js";
import { PolicyToolError } from "./errors.js";
import { checkNamespacePattern } from "./generalise.js";
import { collectEvidence, describeRun, observationsOf, type Evidence, type Observation, type RunSelection } from "./evidence.js";
import { bindingOf, functionIdentity, loadProject, subjectIdentity, type Binding, type Identity, type Project } from "./identity.js";
import { renderSuggestion, suggestPolicy } from "./suggest.js";
import { planWrite, writeSuggestion } from "./write.js";

const USAGE = `usage: npm run policy -- <command> [options]      (or: node sandbox/dist/policy/policy-cli.js ...)

Least privilege from evidence: the sandbox audits every decision (npm start writes
.sandbox/audit.ndjson); run your function's tests against it, then:

  suggest <function>   print the least Policy, and the Role binding it, that allow what the
                       function did (YAML valid against the iam.openfaas.com/v1 CRDs)
  diff <function>      compare the Policy in force with what it did: "granted, never used"
                       and "denied, would need"
  check                hold every shipped Policy to an e2e audit trail (for CI)

Identity (suggest, diff):
  <function>                 a stack function; its identity is
                             system:serviceaccount:<namespace>:<its com.openfaas.serviceaccount>
  --namespace NS             the function's namespace (default: the stack's, else openfaas-fn)
  --subject SUB              any token subject instead (a caller, a connector)

Evidence:
  --audit PATH               audit.ndjson (its rotated files beside it are read first), a state
                             folder holding one, or a folder of state folders; repeatable
                             (default <root>/.sandbox, or $SANDBOX_STATE_DIR)
  --since TIME               only decisions from TIME: ISO 8601, or a duration ago (30m, 2h, 7d)
  --run ID                   only that sandbox run (every line names its run)
  --all-runs                 merge every run (default: the latest run; check: every run)

Suggest:
  --generalise-namespaces P  an action seen in 2 or more namespaces matching P (such as tenant-*)
                             gets P:* in their place; repeatable. Default: resources exact.
  --generalise-functions     an action seen on 2 or more functions of a namespace gets <ns>:*
  --include-denied           grant what was denied too (default: only what was allowed)
  --policy-name NAME         the Policy's name (default: the one bound now, else the function's)
  --write                    write the Policy and Role over the manifests they come from
                             (functions/<name>/iam) instead of printing them

Check:
  --audit PATH               the trail: the state folder(s) of the sandbox(es) your e2e tests ran
                             against (or their audit.ndjson, or a folder of such state folders);
                             every run in them is read
  --expect FILE              the check list: the Policies held to the trail, the refusals the
                             tests assert, Policies set aside with a reason
                             (default: every Policy, no refusal expected)

Project:
  --root DIR                 project folder: its stack file and IAM manifests (default: current folder)
  --stack FILE               stack file (default <root>/stack.yaml, else <root>/stack.yml)
  --manifests PATH           an extra IAM manifest file or folder; repeatable
  -h, --help                 print this help on stdout and exit

Exit status: 0 done, nothing to report; 1 findings (diff: a difference; check: a problem;
suggest: malformed lines were skipped, printed anyway); 2 usage or input error, nothing written.
`;

/** What the command line asked for. */
interface Options {
  command: "suggest" | "diff" | "check";
  target?: string;
  namespace?: string;
  subject?: string;
  audit: string[];
  since?: Date;
  selection: RunSelection;
  generaliseNamespaces: string[];
  generaliseFunctions: boolean;
  includeDenied: boolean;
  policyName?: string;
  write: boolean;
  expect?: string;
  root: string;
  stack: string;
  manifests: string[];
}

const usage = (message: string) => new PolicyToolError("USAGE", message);

/**
 * `2026-01-01T00:00:00Z`, or a duration before `now`: whole days (`7d`), or a duration as the sandbox
 * reads every other one ({@link parseDuration}: `90s`, `30m`, `2h`, `1h30m`).
 */
export function parseSince(text: string, now = Date.now()): Date {
  const days = /^(\d+)d$/.exec(text);
  const seconds = days ? Number(days[1]) * 86_400 : parseDuration(text);
  if (seconds !== undefined) return new Date(now - seconds * 1000);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && Number.isFinite(Date.parse(text))) return new Date(text);
  throw usage(`--since takes an ISO 8601 time (2026-01-31T12:00:00Z) or a duration such as 30m, 2h or 7d (got ${JSON.stringify(text)})`);
}

function parseOptions(argv: string[]): Options | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        namespace: { type: "string" },
        subject: { type: "string" },
        audit: { type: "string", multiple: true },
        since: { type: "string" },
        run: { type: "string" },
        "all-runs": { type: "boolean" },
        "generalise-namespaces": { type: "string", multiple: true },
        "generalise-functions": { type: "boolean" },
        "include-denied": { type: "boolean" },
        "policy-name": { type: "string" },
        write: { type: "boolean" },
        expect: { type: "string" },
        root: { type: "string" },
        stack: { type: "string" },
        manifests: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw usage((err as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help) return "help";
  const [command, target, ...extra] = positionals;
  if (command === undefined) throw usage("name a command: suggest, diff or check");
  if (command !== "suggest" && command !== "diff" && command !== "check") throw usage(`unknown command ${JSON.stringify(command)}: expected suggest, diff or check`);
  if (extra.length > 0) throw usage(`unexpected argument(s): ${extra.join(" ")}`);
  if (command === "check") {
    if (target !== undefined || v.subject !== undefined || v.namespace !== undefined) throw usage("check takes no function: it checks every shipped Policy");
  } else {
    if (target === undefined && v.subject === undefined) throw usage(`${command} needs a function name (or --subject)`);
    if (target !== undefined && v.subject !== undefined) throw usage("give a function name or --subject, not both");
    if (v.namespace !== undefined && v.subject !== undefined) throw usage("--namespace goes with a function name, not --subject");
  }
  const suggestOnly = ["generalise-namespaces", "generalise-functions", "include-denied", "policy-name", "write"] as const;
  if (command !== "suggest") for (const flag of suggestOnly) if (v[flag] !== undefined) throw usage(`--${flag} goes with suggest`);
  if (command !== "check" && v.expect !== undefined) throw usage("--expect goes with check");
  if (v.run !== undefined && v["all-runs"]) throw usage("give --run or --all-runs, not both");
  (v["generalise-namespaces"] ?? []).forEach(checkNamespacePattern);
  if (v.namespace !== undefined && !isRfc1123Label(v.namespace)) throw usage(`--namespace must be a namespace name (an RFC 1123 label), got ${JSON.stringify(v.namespace)}`);
  if (v["policy-name"] !== undefined && (!DNS1123_SUBDOMAIN.test(v["policy-name"]) || v["policy-name"].length > 253)) throw usage(`--policy-name must be a Kubernetes object name (a DNS-1123 subdomain), got ${JSON.stringify(v["policy-name"])}`);
  const root = resolve(v.root ?? process.cwd());
  return {
    command,
    ...(target !== undefined ? { target } : {}),
    ...(v.namespace !== undefined ? { namespace: v.namespace } : {}),
    ...(v.subject !== undefined ? { subject: v.subject } : {}),
    audit: (v.audit ?? [stateDirFor(undefined, root)]).map((p) => resolve(p)),
    ...(v.since !== undefined ? { since: parseSince(v.since) } : {}),
    // check reads the whole trail unless a run is named: an e2e suite starts several sandboxes.
    selection: v.run !== undefined ? { run: v.run } : { allRuns: v["all-runs"] === true || command === "check" },
    generaliseNamespaces: v["generalise-namespaces"] ?? [],
    generaliseFunctions: v["generalise-functions"] === true,
    includeDenied: v["include-denied"] === true,
    ...(v["policy-name"] !== undefined ? { policyName: v["policy-name"] } : {}),
    write: v.write === true,
    ...(v.expect !== undefined ? { expect: resolve(v.expect) } : {}),
    root,
    stack: resolve(v.stack ?? findStackFile(root) ?? join(root, STACK_FILE_NAMES[0])),
    manifests: (v.manifests ?? []).map((p) => resolve(p)),
  };
}

const shown = (path: string): string => {
  const rel = relative(process.cwd(), path);
  return rel !== "" && !rel.startsWith("..") ? rel : path;
};

/** One line about what was read and what was skipped. */
function evidenceLine(evidence: Evidence): string {
  const s = evidence.stats;
  const parts = [`read ${s.decisions} decisions from ${s.files.map(shown).join(", ")}`];
  if (s.beforeSince > 0) parts.push(`${s.beforeSince} before --since skipped`);
  if (s.malformed > 0) parts.push(`${s.malformed} malformed line(s) skipped (${s.malformedExamples.map(shown).join("; ")})`);
  if (s.incomplete > 0) parts.push(`${s.incomplete} line still being written skipped`);
  return parts.join("; ");
}

/** `check`: every listed Policy against the whole trail; 1 when a Policy fails. */
async function checkCommand(o: Options, project: Project, evidence: Evidence, out: (text: string) => void): Promise<number> {
  const list: CheckList = o.expect ? await readCheckList(o.expect) : { trail: [], policies: project.manifests.policies.map((p) => ({ name: p.name, expectDenied: [] })), unchecked: [] };
  const report = checkPolicies(project.manifests, list, evidence);
  const malformed = evidence.stats.malformed;
  const lines = [`check: ${evidence.runs.length} sandbox run(s) in the trail`];
  for (const c of report.checks) {
    const who = c.subjects.join(", ") || "no subject";
    if (c.problems.length === 0) lines.push(`ok    ${c.policy} (${who}): ${c.decisions} decisions; every grant used, nothing lacking`);
    else lines.push(`FAIL  ${c.policy} (${who}):`, ...c.problems.map((p) => `        ${p}`));
  }
  for (const u of list.unchecked) lines.push(`skip  ${u.name}: ${u.why}`);
  for (const p of report.problems) lines.push(`FAIL  ${p}`);
  if (malformed > 0) lines.push(`FAIL  ${malformed} malformed line(s) in the trail were skipped: the trail may miss decisions`);
  const failed = report.checks.filter((c) => c.problems.length > 0).length + report.problems.length + (malformed > 0 ? 1 : 0);
  lines.push(failed === 0 ? `check: ${report.checks.length} Policies match their trail` : `check: ${failed} problem group(s); see FAIL above`);
  out(`${lines.join("\n")}\n`);
  return failed === 0 ? 0 : 1;
}

/** What `diff` and `suggest` know about one identity's evidence. */
interface Subject {
  identity: Identity;
  observations: Observation[];
  binding: Binding;
  /** The runs used, for people. */
  runText: string;
}

/** `diff`: the Policies in force against what the identity did; 1 when they differ. */
function diffCommand(subject: Subject, malformed: number, out: (text: string) => void): number {
  const { identity, binding } = subject;
  const name = identity.function ? `${identity.function.name} (${identity.subject})` : identity.subject;
  const policies = binding.policies.map((p) => `${p.name} (${shown(p.source.replace(/#\d+$/, ""))})`).join(", ");
  const missing = binding.missing.length > 0 ? `; bound but not defined: ${binding.missing.join(", ")}` : "";
  const diff = diffPolicies(binding.policies, subject.observations);
  out(`${[name, `  Policies in force: ${policies || "none (no Role names it)"}${missing}`, `  evidence: ${subject.runText}`, ...formatDiff(diff)].join("\n")}\n`);
  return diff.unused.length > 0 || diff.needed.length > 0 || malformed > 0 ? 1 : 0;
}

/** `suggest`: prints (or with --write, writes) the least Policy and its Role; 1 when lines were skipped. */
async function suggestCommand(o: Options, project: Project, subject: Subject, malformed: number, out: (text: string) => void): Promise<number> {
  const { identity } = subject;
  const suggestion = suggestPolicy(identity, subject.observations, subject.binding, {
    namespaces: o.generaliseNamespaces,
    functions: o.generaliseFunctions,
    includeDenied: o.includeDenied,
    ...(o.policyName !== undefined ? { policyName: o.policyName } : {}),
  });
  const flags = [...o.generaliseNamespaces.map((p) => `--generalise-namespaces '${p}'`), ...(o.generaliseFunctions ? ["--generalise-functions"] : []), ...(o.includeDenied ? ["--include-denied"] : [])];
  const header = [
    `Suggested by \`${["npm run policy -- suggest", o.subject !== undefined ? `--subject ${o.subject}` : o.target, ...flags].join(" ")}\``,
    `for ${identity.subject}, from ${suggestion.decisions} decision(s) in ${subject.runText}.`,
    ...(malformed > 0 ? [`WARNING: ${malformed} malformed line(s) of the log were skipped; the evidence may be incomplete.`] : []),
    o.includeDenied ? "Every grant below was used in the sandbox, or denied there and granted by --include-denied; review it before committing." : "Every grant below was used in the sandbox; review it before committing.",
  ];
  if (!o.write) {
    out(renderSuggestion(suggestion, header));
    return malformed > 0 ? 1 : 0;
  }
  if (malformed > 0) throw new PolicyToolError("WRITE_REFUSED", `refusing to write from a log with ${malformed} malformed line(s): the evidence may be incomplete (print the suggestion without --write to review it)`);
  const written = await writeSuggestion(planWrite(o.root, identity, suggestion, project.manifests), suggestion, header);
  out(`policy: wrote ${written.map(shown).join(", ")} (Policy ${suggestion.policy.metadata.name}, Role ${suggestion.role.metadata.name})\n`);
  return 0;
}

/** Runs one command; resolves with the exit status. */
export async function run(argv: string[], out: (text: string) => void, err: (text: string) => void): Promise<number> {
  const o = parseOptions(argv);
  if (o === "help") {
    out(USAGE);
    return 0;
  }
  const project = await loadProject(o.root, o.stack, o.manifests);
  // The identity is checked before any log is read: an unknown function is the first thing to say.
  const identity = o.command === "check" ? undefined : o.subject !== undefined ? subjectIdentity(o.subject) : functionIdentity(project.stack, o.target!, o.namespace);
  const evidence = await collectEvidence(await auditLogsAt(o.audit), o.since ? { since: o.since } : {});
  err(`policy: ${evidenceLine(evidence)}\n`);
  if (!identity) return checkCommand(o, project, evidence, out);

  const { observations, runs, ignored } = observationsOf(evidence, identity.subject, o.selection);
  const runText = runs.length === 1 ? `sandbox run ${describeRun(runs[0]!)}` : `${runs.length} sandbox runs (${runs.map((r) => r.id || "(no id)").join(", ")})`;
  if (ignored.length > 0) err(`policy: used ${runText}; ignored ${ignored.length} other run(s) (--all-runs merges them, --run ID picks one)\n`);
  const subject: Subject = { identity, observations, binding: bindingOf(project.manifests, identity.subject), runText };
  const malformed = evidence.stats.malformed;
  return o.command === "diff" ? diffCommand(subject, malformed, out) : suggestCommand(o, project, subject, malformed, out);
}

/**
 * {@link run} with its errors turned into what a user sees: one line on stderr,
 * `policy: <code>: <message>` (a usage error says where the usage is), and exit status 2.
 */
export async function main(argv: string[], out: (text: string) => void, err: (text: string) => void): Promise<number> {
  try {
    return await run(argv, out, err);
  } catch (error) {
    if (error instanceof PolicyToolError) {
      // parseArgs may explain over several lines: one line here.
      err(`policy: ${error.code}: ${error.message.replace(/\s*\n\s*/g, " ")}${error.code === "USAGE" ? " (npm run policy -- --help)" : ""}\n`);
      return 2;
    }
    err(`policy: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

// Run when executed (not when imported by tests).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(
    process.argv.slice(2),
    (t) => process.stdout.write(t),
    (t) => process.stderr.write(t),
  );
}
