/**
 * The rules of `policy lint`: each has a stable id, a severity and the reason it matters (printed
 * with every finding and listed in sandbox/docs/policy.md). The rules read loaded objects only; a
 * document the loader refuses becomes a finding of its own ({@link problemRule}).
 */
import { globMatches } from "../iam/glob.js";
import type { ManifestObject } from "../iam/manifest-loader.js";
import type { Condition, PolicyObject, PolicyStatement, RoleObject } from "../iam/types.js";
import { KUBERNETES_ISSUER } from "../issuer/service-account-issuer.js";
import { expandAction, patternCovers, sameCondition } from "./coverage.js";

/** The rules, by stable id. */
export const RULES = {
  "invalid-manifest": { severity: "error", why: "the sandbox refuses to start with it and the gateway would not load it as meant: it grants nothing, or not what it says" },
  "invalid-action": { severity: "error", why: "an action the gateway never checks grants nothing: the call it was meant for fails with 403 at run time" },
  "invalid-resource": { severity: "error", why: "a resource of another shape than the three the gateway checks matches no request: it grants nothing" },
  "issuer-without-audience": { severity: "error", why: "a JwtIssuer must name the audiences it accepts; without one the gateway cannot tell a token meant for it from one stolen from another service" },
  "missing-policy": { severity: "error", why: "a Role naming a Policy that does not exist grants nothing for it: a typo here is a 403 in production" },
  "unbound-policy": { severity: "warning", why: "a Policy no Role grants is dead: either a Role is missing (a 403 in production) or the Policy is left over (a grant waiting for a Role to name it)" },
  "wildcard-action": { severity: "warning", why: "a wildcard action grants every action of its kind, today's and those added later: least privilege lists the actions needed" },
  "wildcard-resource": { severity: "warning", why: "a wildcard resource grants on every namespace and function, including openfaas-fn and namespaces created later" },
  "wide-write-namespace": {
    severity: "warning",
    why: "a write grant whose namespace pattern reaches a namespace where identities run (a stack function's, a ServiceAccount's, openfaas) lets the holder deploy there with any service account, so take that identity's rights",
  },
  "role-without-issuer": { severity: "warning", why: "without a jwt:iss condition a Role matches a token with that sub from any trusted issuer, so an IdP user named like a service account gets its Policies" },
  "principal-many-accounts": { severity: "warning", why: "a Role matching more than one service account shares its Policies between workloads: one compromised pod holds them all, and the audit log cannot tell which acted" },
  "shadowed-statement": { severity: "warning", why: "a statement another one already covers grants nothing more: it misleads a reader about what is needed and outlives the one that covers it" },
  "bad-accept": { severity: "error", why: "an accept annotation must name a rule and say why the finding is right here, or it hides findings without a reason" },
  "unused-accept": { severity: "warning", why: "an accept annotation with no finding to accept is stale: it would hide a future finding nobody reviewed" },
} as const satisfies Record<string, { severity: "error" | "warning"; why: string }>;

/** A rule's stable id. */
export type RuleId = keyof typeof RULES;

/** Annotations of this prefix accept a finding: `lint.node-ts-iam/accept-<rule>: <why it is right here>`. */
export const ACCEPT_ANNOTATION_PREFIX = "lint.node-ts-iam/accept-";

/** One loaded object as lint reads it. */
export interface LintObject {
  object: ManifestObject;
  /** `metadata.annotations` of the object (empty for rendered objects). */
  annotations: Record<string, string>;
}

/** What the rules know besides the objects. */
export interface LintContext {
  objects: LintObject[];
  /** `Kind/name` of objects refused by the loader (they are findings already; references to them are not). */
  refused: Set<string>;
  /** Namespaces the stack deploys functions to. */
  stackNamespaces: string[];
}

/** One finding of a rule: the object, the field and the message. */
export interface RuleFinding {
  rule: RuleId;
  object: ManifestObject;
  field: string;
  message: string;
}

/** The rule of a problem the loader found in a document. */
export function problemRule(kind: string, field: string, problem: string): RuleId {
  if (/\.action\[\d+\]$/.test(field) && problem.includes("matches no action")) return "invalid-action";
  if (/\.resource\[\d+\]$/.test(field)) return "invalid-resource";
  if (kind === "JwtIssuer" && field.startsWith("spec.aud")) return "issuer-without-audience";
  return "invalid-manifest";
}

const WRITE_VERBS = new Set(["Create", "Update", "Delete", "Scale"]);
const SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";
const SERVICE_ACCOUNT_SUBJECT = /^system:serviceaccount:([^:]+):([^:]+)$/;
const EXACT_OPERATORS = ["StringEqual", "StringEquals", "StringEqualIgnoreCase"];

/** Runs every rule over the loaded objects. */
export function runRules(ctx: LintContext): RuleFinding[] {
  const policies = ctx.objects.map((o) => o.object).filter((o): o is PolicyObject => o.kind === "Policy");
  const roles = ctx.objects.map((o) => o.object).filter((o): o is RoleObject => o.kind === "Role");
  const out: RuleFinding[] = [];
  const identityNamespaces = new Set(["openfaas", ...ctx.stackNamespaces]);
  for (const o of ctx.objects) if (o.object.kind === "ServiceAccount") identityNamespaces.add(o.object.namespace);
  for (const r of roles) for (const s of r.spec.principal?.["jwt:sub"] ?? []) identityNamespaces.add(SERVICE_ACCOUNT_SUBJECT.exec(s)?.[1] ?? "openfaas");

  for (const p of policies) {
    p.spec.statement.forEach((st, i) => out.push(...statementFindings(p, st, `spec.statement[${i}]`, [...identityNamespaces])));
    if (!roles.some((r) => r.spec.policy?.includes(p.name))) out.push({ rule: "unbound-policy", object: p, field: "metadata.name", message: `Policy ${p.name} is granted by no Role` });
  }
  for (const r of roles) {
    (r.spec.policy ?? []).forEach((name, i) => {
      if (!policies.some((p) => p.name === name) && !ctx.refused.has(`Policy/${name}`)) out.push({ rule: "missing-policy", object: r, field: `spec.policy[${i}]`, message: `Role ${r.name} grants Policy ${name}, which no manifest defines` });
    });
    if (!hasIssuerCondition(r.spec.condition)) out.push({ rule: "role-without-issuer", object: r, field: r.spec.condition ? "spec.condition" : "spec", message: `Role ${r.name} has no exact jwt:iss condition: it matches these subjects' tokens from every trusted issuer` });
    const many = manyAccounts(r);
    if (many) out.push({ rule: "principal-many-accounts", object: r, field: many.field, message: `Role ${r.name} ${many.what}` });
  }
  out.push(...shadowed(policies, roles));
  return out;
}

function statementFindings(p: PolicyObject, st: PolicyStatement, at: string, identityNamespaces: string[]): RuleFinding[] {
  const out: RuleFinding[] = [];
  const actions = [...new Set(st.action.flatMap(expandAction))];
  st.action.forEach((a, j) => {
    if (!a.includes("*")) return;
    const covered = expandAction(a);
    out.push({ rule: "wildcard-action", object: p, field: `${at}.action[${j}]`, message: `statement ${st.sid} grants "${a}": ${covered.length} actions (${covered.join(", ")}) and any added later` });
  });
  const writes = actions.filter((a) => WRITE_VERBS.has(a.split(":")[1]!));
  st.resource.forEach((r, j) => {
    const field = `${at}.resource[${j}]`;
    if (r === "*" || r === "*:*") {
      // System:Info is checked on * (sandbox/README.md), so a statement granting only it needs *.
      if (r === "*" && actions.every((a) => a === "System:Info")) return;
      out.push({ rule: "wildcard-resource", object: p, field, message: `statement ${st.sid} grants ${actions.length === 1 ? actions[0] : `${actions.length} actions`} on "${r}": every namespace and function` });
      return;
    }
    const namespace = r.split(":")[0]!;
    if (!namespace.includes("*") || writes.length === 0) return;
    const reached = identityNamespaces.filter((ns) => globMatches(namespace, ns));
    if (reached.length > 0) {
      out.push({
        rule: "wide-write-namespace",
        object: p,
        field,
        message: `statement ${st.sid} grants ${writes.join(", ")} on "${r}", which reaches namespace ${reached.join(", ")}, where identities run; name the namespaces, or a prefix that stops short of them`,
      });
    }
  });
  return out;
}

/** Whether a condition pins `jwt:iss` to exact values. */
function hasIssuerCondition(condition: Condition | undefined): boolean {
  if (!condition) return false;
  if (EXACT_OPERATORS.some((op) => condition[op]?.["jwt:iss"] !== undefined)) return true;
  return condition["StringLike"]?.["jwt:iss"]?.every((v) => !v.includes("*")) ?? false;
}

/** Where and how a Role can match more than one service account, if it can. */
function manyAccounts(r: RoleObject): { field: string; what: string } | undefined {
  const principals = (r.spec.principal?.["jwt:sub"] ?? []).filter((s) => SERVICE_ACCOUNT_SUBJECT.test(s));
  if (principals.length > 1) return { field: 'spec.principal["jwt:sub"]', what: `binds ${principals.length} service accounts: ${principals.join(", ")}` };
  const c = r.spec.condition ?? {};
  for (const op of EXACT_OPERATORS) {
    const subs = (c[op]?.["jwt:sub"] ?? []).filter((s) => SERVICE_ACCOUNT_SUBJECT.test(s));
    if (subs.length > 1) return { field: `spec.condition["${op}"]["jwt:sub"]`, what: `matches ${subs.length} service accounts by condition: ${subs.join(", ")}` };
  }
  // A pattern can match many service accounts when its text before the first * fits their prefix.
  const like = (c["StringLike"]?.["jwt:sub"] ?? []).find((v) => {
    const head = v.split("*")[0]!;
    return v.includes("*") && (head.startsWith(SERVICE_ACCOUNT_PREFIX) || SERVICE_ACCOUNT_PREFIX.startsWith(head));
  });
  if (like !== undefined) return { field: 'spec.condition["StringLike"]["jwt:sub"]', what: `matches every service account whose subject fits "${like}"` };
  const subPinned = r.spec.principal !== undefined || EXACT_OPERATORS.some((op) => c[op]?.["jwt:sub"] !== undefined) || c["StringLike"]?.["jwt:sub"] !== undefined;
  const issuers = EXACT_OPERATORS.flatMap((op) => c[op]?.["jwt:iss"] ?? []);
  const clusterTokens = issuers.length === 0 || issuers.includes(KUBERNETES_ISSUER);
  if (!subPinned && clusterTokens) return { field: "spec.condition", what: "names no subject: it matches every service account token of the cluster issuer that meets its condition" };
  return undefined;
}

/** A statement's grants, as (concrete action, resource pattern) pairs. */
function grants(st: PolicyStatement): { action: string; resource: string }[] {
  return st.action.flatMap(expandAction).flatMap((action) => st.resource.map((resource) => ({ action, resource })));
}

/** Whether `t` allows everything `s` allows (for every token `s` applies to). */
function covers(t: PolicyStatement, s: PolicyStatement): boolean {
  if (t.condition !== undefined && Object.keys(t.condition).length > 0 && !sameCondition(t.condition, s.condition ?? {})) return false;
  return grants(s).every((g) => t.action.some((a) => globMatches(a, g.action)) && t.resource.some((r) => patternCovers(r, g.resource)));
}

/**
 * Statements another statement covers: one of the same Policy, or of a Policy every Role granting
 * this one also grants. Of two that cover each other, the later one is reported.
 */
function shadowed(policies: PolicyObject[], roles: RoleObject[]): RuleFinding[] {
  const out: RuleFinding[] = [];
  const all = policies.flatMap((p, pi) => p.spec.statement.map((st, si) => ({ p, st, si, order: pi * 100_000 + si })));
  for (const s of all) {
    const granting = roles.filter((r) => r.spec.policy?.includes(s.p.name));
    const alongside = (q: PolicyObject) => q === s.p || (granting.length > 0 && granting.every((r) => r.spec.policy?.includes(q.name)));
    const by = all.find((t) => t !== s && alongside(t.p) && covers(t.st, s.st) && (t.order < s.order || !covers(s.st, t.st)));
    if (!by) continue;
    const where = by.p === s.p ? `statement ${by.st.sid}` : `statement ${by.st.sid} of Policy ${by.p.name} (granted with it by every Role that grants ${s.p.name})`;
    out.push({ rule: "shadowed-statement", object: s.p, field: `spec.statement[${s.si}]`, message: `statement ${s.st.sid} grants nothing ${where} does not` });
  }
  return out;
}
