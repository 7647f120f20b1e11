#!/usr/bin/env node
/**
 * `npm run policy -- <suggest|diff|check> ...`: least privilege from evidence. Reads the sandbox's
 * audit log and derives a function's least Policy (suggest), compares it with the Policy in force
 * (diff), or holds every shipped Policy to an e2e trail (check). See {@link USAGE}.
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Claims } from "../iam/conditions.js";
import { DNS1123_SUBDOMAIN, parseDuration } from "../iam/manifest-loader.js";
import { isRfc1123Label } from "../names.js";
import { findStackFile, STACK_FILE_NAMES } from "../project.js";
import { stateDirFor } from "../state/state-dir.js";
import { auditLogsAt } from "./audit-reader.js";
import { checkPolicies, readCheckList, type CheckList } from "./check.js";
import { diffPolicies, formatDiff } from "./diff.js";
import { shownPath } from "./display.js";
import { PolicyToolError } from "./errors.js";
import { checkNamespacePattern } from "./generalise.js";
import { collectEvidence, describeRun, observationsOf, type Evidence, type Observation, type RunSelection } from "./evidence.js";
import { bindingOf, functionIdentity, loadProject, subjectIdentity, type Binding, type Identity, type Project } from "./identity.js";
import { renderSuggestion, suggestPolicy } from "./suggest.js";
import { planWrite, writeSuggestion } from "./write.js";
import { DEFAULT_GATEWAY_URL, explain, explainModel, type ExplainRequest } from "./explain.js";
import { chooseIssuer, explainRequest, subjectClaims, tokenFileClaims } from "./explain-input.js";
import { explanationJson, formatExplanation } from "./explain-report.js";
import { ACCEPT_ANNOTATION_PREFIX } from "./lint-rules.js";
import { lintCommand } from "./lint.js";

const USAGE = `usage: npm run policy -- <command> [options]      (or: node sandbox/dist/policy/policy-cli.js ...)

Know a decision before deploying:

  explain              the gateway's decision for one identity, action and resource, and why:
                       the Roles that matched (each condition with the claim values), the
                       Policies they grant, the statement that allowed it or that none did
  lint [PATH...]       findings in IAM manifests (default: those npm start loads), each with a
                       rule id, file and line, and why it matters

Least privilege from evidence: the sandbox audits every decision (npm start writes
.sandbox/audit.ndjson); run your function's tests against it, then:

  suggest <function>   print the least Policy, and the Role binding it, that allow what the
                       function did (YAML valid against the iam.openfaas.com/v1 CRDs)
  diff <function>      compare the Policy in force with what it did: "granted, never used"
                       and "denied, would need"
  check                hold every shipped Policy to an e2e audit trail (for CI)

Explain:
  --subject SUB              a token subject: system:serviceaccount:<namespace>:<name> for the
                             cluster's issuer, any subject for another JwtIssuer
  --function NS:NAME         a stack function: its com.openfaas.serviceaccount in its namespace
  --issuer NAME|ISS          the JwtIssuer of --subject (default kubernetes, the cluster's)
  --claim NAME=VALUE         another claim of that token; repeat a name for a list; repeatable
  --token FILE               a real token instead: its claims are read, its signature is not
                             checked, and it is never printed
  --action ACTION --resource RESOURCE
                             an API call: Function:Create on dev:foo, Function:List on dev:*,
                             System:Info on *
  --invoke NS:FN             a function token for NS:FN (Function:Invoke on it)
  --gateway URL              the gateway's public URL, the kubernetes JwtIssuer's audience
                             (default ${DEFAULT_GATEWAY_URL}, npm start's)
  --json                     the answer as JSON
  Exit status: 0 allowed, 1 denied, 2 bad input.

Lint:
  --strict                   warnings fail too (errors always do)
  --json                     the findings as JSON
  Accept a finding in the manifest, with the reason, as an annotation of the object:
    metadata.annotations["${ACCEPT_ANNOTATION_PREFIX}<rule>"]: <why it is right here>
  Exit status: 0 clean (accepted findings and, without --strict, warnings allowed), 1 findings,
  2 bad input (a path that does not exist, a file that is not YAML).

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

Project (every command reads the IAM objects npm start loads: functions/*/iam, each stack
function's <handler>/iam, the connectors of connectors/cron-connector/sandbox.yaml):
  --root DIR                 project folder: its stack file and IAM manifests (default: current folder)
  --stack FILE               stack file (default <root>/stack.yaml, else <root>/stack.yml)
  --manifests PATH           an extra IAM manifest file or folder; repeatable
  -h, --help                 print this help on stdout and exit

Exit status (suggest, diff, check): 0 done, nothing to report; 1 findings (diff: a difference;
check: a problem; suggest: malformed lines were skipped, printed anyway); 2 usage or input error,
nothing written.
`;

const COMMANDS = ["suggest", "diff", "check", "explain", "lint"] as const;
type Command = (typeof COMMANDS)[number];

/** The flags each command takes, besides --root, --stack, --manifests and --help. */
const COMMAND_FLAGS: Record<Command, readonly string[]> = {
  suggest: ["namespace", "subject", "audit", "since", "run", "all-runs", "generalise-namespaces", "generalise-functions", "include-denied", "policy-name", "write"],
  diff: ["namespace", "subject", "audit", "since", "run", "all-runs"],
  check: ["audit", "since", "run", "all-runs", "expect"],
  explain: ["subject", "function", "token", "issuer", "claim", "action", "resource", "invoke", "gateway", "json"],
  lint: ["strict", "json"],
};

/** What `explain` was asked. */
interface ExplainOptions {
  subject?: string;
  function?: { namespace?: string; name: string };
  token?: string;
  issuer?: string;
  claims: string[];
  request: ExplainRequest;
  gateway: string;
}

/** What the command line asked for. */
interface Options {
  command: Command;
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
  explain?: ExplainOptions;
  /** lint: the files and folders to lint (none: the project's). */
  paths: string[];
  strict: boolean;
  json: boolean;
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

/** The explain flags, checked: one identity, one request, a gateway URL. */
function explainOptions(v: { subject?: string; function?: string; token?: string; issuer?: string; claim?: string[]; action?: string; resource?: string; invoke?: string; gateway?: string }): ExplainOptions {
  const identities = [v.subject, v.function, v.token].filter((x) => x !== undefined).length;
  if (identities !== 1) throw usage("explain needs one identity: --subject SUB, --function NS:NAME or --token FILE");
  if (v.token !== undefined && (v.issuer !== undefined || v.claim !== undefined)) throw usage("--issuer and --claim go with --subject or --function: a --token carries its own claims");
  const api = v.action !== undefined || v.resource !== undefined;
  if (api === (v.invoke !== undefined) || (api && (v.action === undefined || v.resource === undefined))) throw usage("explain needs a request: --action ACTION --resource RESOURCE, or --invoke NS:FN");
  const gateway = v.gateway ?? DEFAULT_GATEWAY_URL;
  if (!/^https?:\/\/[^\s]+$/.test(gateway) || !URL.canParse(gateway)) throw usage(`--gateway takes the gateway's public URL, such as https://gateway.example.com (got ${JSON.stringify(gateway)})`);
  let fn: ExplainOptions["function"];
  if (v.function !== undefined) {
    const [namespace, name, ...rest] = v.function.includes(":") ? v.function.split(":") : [undefined, v.function];
    if (rest.length > 0 || !isRfc1123Label(name) || (namespace !== undefined && !isRfc1123Label(namespace))) throw usage(`--function takes NS:NAME, a function of the stack (got ${JSON.stringify(v.function)})`);
    fn = { ...(namespace !== undefined ? { namespace } : {}), name };
  }
  return {
    ...(v.subject !== undefined ? { subject: v.subject } : {}),
    ...(fn ? { function: fn } : {}),
    ...(v.token !== undefined ? { token: resolve(v.token) } : {}),
    ...(v.issuer !== undefined ? { issuer: v.issuer } : {}),
    claims: v.claim ?? [],
    request: explainRequest(v.action, v.resource, v.invoke),
    gateway,
  };
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
        function: { type: "string" },
        token: { type: "string" },
        issuer: { type: "string" },
        claim: { type: "string", multiple: true },
        action: { type: "string" },
        resource: { type: "string" },
        invoke: { type: "string" },
        gateway: { type: "string" },
        json: { type: "boolean" },
        strict: { type: "boolean" },
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
  if (command === undefined) throw usage("name a command: explain, lint, suggest, diff or check");
  if (!(COMMANDS as readonly string[]).includes(command)) throw usage(`unknown command ${JSON.stringify(command)}: expected explain, lint, suggest, diff or check`);
  const cmd = command as Command;
  if (extra.length > 0 && cmd !== "lint") throw usage(`unexpected argument(s): ${extra.join(" ")}`);
  if (cmd === "check") {
    if (target !== undefined || v.subject !== undefined || v.namespace !== undefined) throw usage("check takes no function: it checks every shipped Policy");
  } else if (cmd === "explain") {
    if (target !== undefined) throw usage(`unexpected argument(s): ${target}: explain takes an identity (--subject, --function or --token) and a request (--action and --resource, or --invoke)`);
  } else if (cmd !== "lint") {
    if (target === undefined && v.subject === undefined) throw usage(`${command} needs a function name (or --subject)`);
    if (target !== undefined && v.subject !== undefined) throw usage("give a function name or --subject, not both");
    if (v.namespace !== undefined && v.subject !== undefined) throw usage("--namespace goes with a function name, not --subject");
  }
  for (const [flag, given] of Object.entries(v)) {
    if (given === undefined || ["root", "stack", "manifests", "help"].includes(flag) || COMMAND_FLAGS[cmd].includes(flag)) continue;
    const takers = COMMANDS.filter((c) => COMMAND_FLAGS[c].includes(flag));
    throw usage(`--${flag} goes with ${takers.length > 1 ? `${takers.slice(0, -1).join(", ")} or ${takers.at(-1)}` : takers[0]}`);
  }
  if (v.run !== undefined && v["all-runs"]) throw usage("give --run or --all-runs, not both");
  (v["generalise-namespaces"] ?? []).forEach(checkNamespacePattern);
  if (v.namespace !== undefined && !isRfc1123Label(v.namespace)) throw usage(`--namespace must be a namespace name (an RFC 1123 label), got ${JSON.stringify(v.namespace)}`);
  if (v["policy-name"] !== undefined && (!DNS1123_SUBDOMAIN.test(v["policy-name"]) || v["policy-name"].length > 253)) throw usage(`--policy-name must be a Kubernetes object name (a DNS-1123 subdomain), got ${JSON.stringify(v["policy-name"])}`);
  const root = resolve(v.root ?? process.cwd());
  return {
    command: cmd,
    ...(target !== undefined ? { target } : {}),
    ...(v.namespace !== undefined ? { namespace: v.namespace } : {}),
    ...(v.subject !== undefined ? { subject: v.subject } : {}),
    audit: (v.audit ?? [stateDirFor(undefined, root)]).map((p) => resolve(p)),
    ...(v.since !== undefined ? { since: parseSince(v.since) } : {}),
    // check reads the whole trail unless a run is named: an e2e suite starts several sandboxes.
    selection: v.run !== undefined ? { run: v.run } : { allRuns: v["all-runs"] === true || cmd === "check" },
    generaliseNamespaces: v["generalise-namespaces"] ?? [],
    generaliseFunctions: v["generalise-functions"] === true,
    includeDenied: v["include-denied"] === true,
    ...(v["policy-name"] !== undefined ? { policyName: v["policy-name"] } : {}),
    write: v.write === true,
    ...(cmd === "explain" ? { explain: explainOptions(v) } : {}),
    paths: cmd === "lint" ? positionals.slice(1).map((p) => resolve(p)) : [],
    strict: v.strict === true,
    json: v.json === true,
    ...(v.expect !== undefined ? { expect: resolve(v.expect) } : {}),
    root,
    stack: resolve(v.stack ?? findStackFile(root) ?? join(root, STACK_FILE_NAMES[0])),
    manifests: (v.manifests ?? []).map((p) => resolve(p)),
  };
}

/** One line about what was read and what was skipped. */
function evidenceLine(evidence: Evidence): string {
  const s = evidence.stats;
  const parts = [`read ${s.decisions} decisions from ${s.files.map(shownPath).join(", ")}`];
  if (s.beforeSince > 0) parts.push(`${s.beforeSince} before --since skipped`);
  if (s.malformed > 0) parts.push(`${s.malformed} malformed line(s) skipped (${s.malformedExamples.map(shownPath).join("; ")})`);
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
  const policies = binding.policies.map((p) => `${p.name} (${shownPath(p.source.replace(/#\d+$/, ""))})`).join(", ");
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
  out(`policy: wrote ${written.map(shownPath).join(", ")} (Policy ${suggestion.policy.metadata.name}, Role ${suggestion.role.metadata.name})\n`);
  return 0;
}

/** `explain`: the decision and its reasoning; 0 allowed, 1 denied. */
async function explainCommand(o: Options, e: ExplainOptions, out: (text: string) => void): Promise<number> {
  const project = await loadProject(o.root, o.stack, o.manifests);
  const model = explainModel(project.manifests, e.gateway);
  const notes: string[] = [];
  let claims: Claims;
  let who: string;
  if (e.token !== undefined) {
    claims = await tokenFileClaims(e.token);
    who = String(claims["sub"]);
    notes.push(`claims read from ${shownPath(e.token)}; its signature is not checked`);
    const exp = claims["exp"];
    if (typeof exp === "number" && exp * 1000 < Date.now()) notes.push(`the token expired at ${new Date(exp * 1000).toISOString()}: the gateway would refuse it now; this answers for its claims`);
  } else {
    const identity = e.function ? functionIdentity(project.stack, e.function.name, e.function.namespace) : undefined;
    const subject = identity?.subject ?? e.subject!;
    claims = subjectClaims(chooseIssuer(model, e.issuer), subject, e.claims);
    who = identity?.function ? `function ${identity.function.namespace}:${identity.function.name} (${identity.subject})` : String(claims["sub"]);
  }
  const explanation = explain(model, claims, e.request);
  out(o.json ? explanationJson(explanation, who, notes) : formatExplanation(explanation, who, notes, project.manifests.policies));
  return explanation.allowed ? 0 : 1;
}

/** Runs one command; resolves with the exit status. */
export async function run(argv: string[], out: (text: string) => void, err: (text: string) => void): Promise<number> {
  const o = parseOptions(argv);
  if (o === "help") {
    out(USAGE);
    return 0;
  }
  if (o.command === "explain") return explainCommand(o, o.explain!, out);
  if (o.command === "lint") return lintCommand({ paths: o.paths, root: o.root, stack: o.stack, manifests: o.manifests, strict: o.strict, json: o.json }, out);
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
