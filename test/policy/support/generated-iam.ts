/**
 * Generated IAM objects and token claims for the property test of `policy explain` against the live
 * gateway (explain-equivalence.test.ts), seeded so a failure can be replayed (EXPLAIN_SEED). The
 * names, prefixes and claim values come from small pools, so patterns, conditions and principals
 * meet the requests often, on both sides of every rule: wildcards in actions and resources,
 * prefixes, each condition operator (scalars, lists, numbers, case), nested and odd claim keys,
 * Roles naming missing Policies, and the samples' own Policies granted by generated Roles.
 */
import { KNOWN_ACTIONS } from "../../../sandbox/src/iam/types.js";
import { KUBERNETES_ISSUER } from "../../../sandbox/src/issuer/service-account-issuer.js";

/** The seed of a run: EXPLAIN_SEED, else a fixed one (so CI and conformance see the same objects). */
export const EXPLAIN_SEED = Number(process.env["EXPLAIN_SEED"] ?? 20261201);

/** A small seeded generator (mulberry32): the same seed, the same manifests and cases. */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  some<T>(items: readonly T[], min: number, max: number): T[] {
    const n = min + this.int(max - min + 1);
    return [...new Set(Array.from({ length: n }, () => this.pick(items)))];
  }
}

/** The test's own issuers: an IdP, and a second key for the cluster's `iss` (tokens with any claims). */
export const IDP_ISS = "https://idp-a.test";
export const IDP_AUD = "openfaas";
export const CLUSTER_ALT_AUD = "cluster-alt-aud";
export const UNKNOWN_ISS = "https://unknown-idp.test";

/** Namespaces that exist in the sandbox (created before the cases), and names that never do. */
export const NAMESPACES = ["dev", "staging", "prod", "tenant-a", "tenant-b", "team-x", "openfaas-fn"];
export const GHOST_NAMESPACES = ["ghost-ns", "tenant-zz", "team-old"];
export const FUNCTIONS = ["api", "web", "worker-1", "hello", "ns-admin", "preview-janitor", "tenant-provisioner"];
const SERVICE_ACCOUNTS = [
  "openfaas-fn:ns-admin",
  "openfaas-fn:preview-janitor",
  "openfaas-fn:tenant-provisioner",
  "ci:deployer",
  "openfaas:cron-connector",
  "openfaas:cron-connector-staging",
  "dev:builder",
  "team-x:bot",
];
const USERS = ["alice", "bob", "carol@example.com", "system:serviceaccount:ci:deployer"];
const GROUPS = ["platform-operators", "dev-team", "ops", "admins", "qa"];
const EMAILS = ["alice@example.com", "ALICE@EXAMPLE.COM", "bob@corp.test"];
const TEAMS = ["Platform", "platform", "7", "true"];
const ROLES_CLAIM = "https://idp-a.test/roles";
const SAMPLE_POLICIES = ["ns-admin-dev", "invoke-privileged-functions", "preview-janitor"];

/** `system:serviceaccount:<ns>:<name>` for a pool entry `ns:name`. */
export const saSubject = (entry: string): string => `system:serviceaccount:${entry}`;

const ACTION_PATTERNS = [...KNOWN_ACTIONS, "*", "Function:*", "Secret:*", "Namespace:*"];

function resourcePattern(r: Random): string {
  const ns = r.pick(NAMESPACES);
  switch (r.int(9)) {
    case 0:
      return r.pick(["*", "*:*"]);
    case 1:
    case 2:
      return `${ns}:*`;
    case 3:
    case 4:
      return `${ns}:${r.pick(FUNCTIONS)}`;
    case 5:
      return `${r.pick(["tenant-", "team", "d", "pro", "openfaas"])}*:*`;
    case 6:
      return `${ns}:${r.pick(["w", "ns-", "preview", "a"])}*`;
    case 7:
      return `*:${r.pick(FUNCTIONS)}`;
    default:
      return `${r.pick(["tenant-*", "*-fn", "st*ng"])}:${r.pick(["*", "api", "hello"])}`;
  }
}

/** A condition key and the values that can meet it (statement conditions see the access token: `sub` is `fed:…`). */
function conditionEntry(r: Random, forStatement: boolean): [string, string, string[]] {
  const operator = r.pick(["StringEqual", "StringEquals", "StringEqualIgnoreCase", "StringLike", "ForAnyValue:StringEqual"]);
  const like = operator === "StringLike";
  const keys: [string, () => string][] = [
    ["jwt:groups", () => r.pick(GROUPS)],
    ["jwt:email", () => (like ? r.pick(["*@example.com", "alice@*", "*"]) : r.pick(EMAILS))],
    ["jwt:team", () => r.pick(TEAMS)],
    ["jwt:kubernetes.io/namespace", () => (like ? r.pick(["tenant-*", "openfaas*", "*"]) : r.pick(["openfaas-fn", "ci", "dev", "openfaas"]))],
    [`jwt:${ROLES_CLAIM}`, () => r.pick(["deployer", "viewer"])],
    [forStatement ? "jwt:fed:iss" : "jwt:iss", () => r.pick([KUBERNETES_ISSUER, IDP_ISS])],
    ["jwt:sub", () => (forStatement ? "fed:" : "") + (like ? r.pick(["system:serviceaccount:openfaas-fn:*", "system:serviceaccount:*", "*"]) : r.chance(0.5) ? saSubject(r.pick(SERVICE_ACCOUNTS)) : r.pick(USERS))],
  ];
  // Statements see the access token, which always has fed:iss and sub: weigh those so that conditions decide often.
  const [key, value] = forStatement && r.chance(0.5) ? r.pick(keys.slice(-2)) : r.pick(keys);
  return [operator, key, [...new Set([value(), ...(r.chance(0.4) ? [value()] : [])])]];
}

function condition(r: Random, forStatement: boolean, extra: [string, string, string[]][] = []): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const [op, key, values] of [...extra, ...Array.from({ length: r.chance(0.7) ? 1 : 2 }, () => conditionEntry(r, forStatement))]) {
    out[op] = { ...out[op], [key]: values };
  }
  return out;
}

/** Generated JwtIssuers, Policies and Roles as YAML documents (issInternal of the two test issuers given). */
export function generatedManifests(r: Random, issuers: { idp: string; clusterAlt: string }): string {
  const docs: unknown[] = [
    { apiVersion: "iam.openfaas.com/v1", kind: "JwtIssuer", metadata: { name: "idp-a", namespace: "openfaas" }, spec: { iss: IDP_ISS, aud: [IDP_AUD], issInternal: issuers.idp, tokenExpiry: "30m" } },
    { apiVersion: "iam.openfaas.com/v1", kind: "JwtIssuer", metadata: { name: "cluster-alt", namespace: "openfaas" }, spec: { iss: KUBERNETES_ISSUER, aud: [CLUSTER_ALT_AUD], issInternal: issuers.clusterAlt } },
  ];
  const policies = Array.from({ length: 16 }, (_, i) => `gen-p${i}`);
  for (const name of policies) {
    const statement = Array.from({ length: 1 + r.int(3) }, (_, j) => ({
      sid: `s${j}`,
      effect: "Allow",
      action: r.some(ACTION_PATTERNS, 1, 3),
      resource: Array.from({ length: 1 + r.int(2) }, () => resourcePattern(r)),
      ...(r.chance(0.4) ? { condition: condition(r, true) } : {}),
    }));
    docs.push({ apiVersion: "iam.openfaas.com/v1", kind: "Policy", metadata: { name, namespace: "openfaas" }, spec: { statement } });
  }
  for (let i = 0; i < 14; i++) {
    const granted = [...r.some(policies, 1, 3), ...(r.chance(0.25) ? [r.pick(SAMPLE_POLICIES)] : []), ...(r.chance(0.1) ? ["gen-missing"] : [])];
    const principal = r.chance(0.7) ? { "jwt:sub": r.some([...SERVICE_ACCOUNTS.map(saSubject), ...USERS], 1, 2) } : undefined;
    const issuer: [string, string, string[]] = ["StringEqual", "jwt:iss", r.some([KUBERNETES_ISSUER, IDP_ISS], 1, 2)];
    const spec = {
      policy: [...new Set(granted)],
      ...(principal ? { principal } : {}),
      ...(!principal || r.chance(0.7) ? { condition: principal && r.chance(0.5) ? { StringEqual: { "jwt:iss": issuer[2] } } : condition(r, false, [issuer]) } : {}),
    };
    docs.push({ apiVersion: "iam.openfaas.com/v1", kind: "Role", metadata: { name: `gen-r${i}`, namespace: "openfaas" }, spec });
  }
  return docs.map((d) => JSON.stringify(d)).join("\n---\n");
}

/** How a case's subject token is made. */
export type TokenKind = { kind: "service-account"; namespace: string; name: string } | { kind: "signed"; by: "idp" | "cluster-alt"; claims: Record<string, unknown> };

/** The subject token of one case: a real service account token, or claims signed by a test issuer (some with an unregistered issuer or a wrong audience). */
export function generatedToken(r: Random, now: number): TokenKind {
  const exp = now + 3600;
  const extras = (): Record<string, unknown> => ({
    ...(r.chance(0.6) ? { groups: r.chance(0.8) ? r.some(GROUPS, 0, 3) : r.pick(GROUPS) } : {}),
    ...(r.chance(0.5) ? { email: r.pick(EMAILS) } : {}),
    ...(r.chance(0.4) ? { team: r.pick([...TEAMS, 7, true]) } : {}),
    ...(r.chance(0.3) ? { [ROLES_CLAIM]: r.some(["deployer", "viewer", "auditor"], 1, 2) } : {}),
  });
  const roll = r.next();
  if (roll < 0.45) {
    const [namespace, name] = r.pick(SERVICE_ACCOUNTS).split(":") as [string, string];
    return { kind: "service-account", namespace, name };
  }
  if (roll < 0.7) {
    const [namespace, name] = r.pick(SERVICE_ACCOUNTS).split(":") as [string, string];
    const claims = { iss: KUBERNETES_ISSUER, sub: saSubject(`${namespace}:${name}`), aud: [CLUSTER_ALT_AUD], iat: now, exp, "kubernetes.io": { namespace, serviceaccount: { name } }, ...extras() };
    return { kind: "signed", by: "cluster-alt", claims };
  }
  const iss = r.chance(0.04) ? UNKNOWN_ISS : IDP_ISS;
  const aud = r.chance(0.04) ? ["someone-else"] : [IDP_AUD];
  return { kind: "signed", by: "idp", claims: { iss, sub: r.pick(USERS), aud, iat: now, exp, ...extras() } };
}

/** One request of a case: an action on a resource the gateway can be asked through its API (or a function token). */
export interface GeneratedRequest {
  action: string;
  resource: string;
}

/** A request the sandbox decides on before anything else can refuse it (namespaces that must exist do). */
export function generatedRequest(r: Random): GeneratedRequest {
  const action = r.pick(KNOWN_ACTIONS.filter((a) => a !== "Namespace:List"));
  const ns = r.pick(NAMESPACES);
  const fn = r.pick(FUNCTIONS);
  if (action === "System:Info") return { action, resource: "*" };
  if (action === "Namespace:Delete") return { action, resource: `${r.pick(GHOST_NAMESPACES)}:*` };
  if (action === "Namespace:Get" || action === "Namespace:Update") return { action, resource: `${r.chance(0.8) ? ns : r.pick(GHOST_NAMESPACES)}:*` };
  if (action.startsWith("Namespace:") || action.startsWith("Secret:") || action === "Function:List") return { action, resource: `${ns}:*` };
  return { action, resource: `${ns}:${fn}` };
}
