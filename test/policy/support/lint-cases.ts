/**
 * A failing and a passing manifest set for every `policy lint` rule (lint.test.ts runs them;
 * conformance validates the passing ones against the reference CRDs). Each set is the documents of one
 * file; `line` is where the failing finding points.
 */
import type { RuleId } from "../../../sandbox/src/policy/lint-rules.js";

const ISS = "https://kubernetes.default.svc.cluster.local";

/** An iam.openfaas.com object in namespace openfaas, its annotations (YAML lines) and its spec (YAML lines). */
function iamObject(kind: string, name: string, annotations: string, spec: string): string {
  return `apiVersion: iam.openfaas.com/v1
kind: ${kind}
metadata:
  name: ${name}
  namespace: openfaas${annotations ? `\n  annotations:\n${annotations}` : ""}
spec:
${spec}
`;
}

/** A Policy named `name` with the given statements (YAML flow mappings, one per line). */
export function policy(name: string, statements: string[], annotations = ""): string {
  return iamObject("Policy", name, annotations, `  statement:\n${statements.map((s) => `    - ${s}`).join("\n")}`);
}

/** A Role granting `policies` to `principal` (when given) with `condition` (a YAML flow mapping; null: none). */
export function role(name: string, policies: string[], principal: string[] | undefined, condition: string | null = `{StringEqual: {"jwt:iss": ["${ISS}"]}}`, annotations = ""): string {
  const lines = [`  policy: [${policies.join(", ")}]`, ...(principal ? ["  principal:", `    jwt:sub: [${principal.map((p) => `"${p}"`).join(", ")}]`] : []), ...(condition ? [`  condition: ${condition}`] : [])];
  return iamObject("Role", name, annotations, lines.join("\n"));
}

export const docs = (...parts: string[]): string => parts.join("---\n");

const LIST_DEV = '{sid: list, effect: Allow, action: [Function:List], resource: ["dev:*"]}';
const SA = "system:serviceaccount:apps:one";
/** A clean Policy and the Role granting it, around which each case changes one thing. */
export const bound = (statements: string[], roleName = "r"): string => docs(policy("p", statements), role(roleName, ["p"], [SA]));

/** One rule's failing and passing manifests (and a stack file, when the rule reads it). */
export interface LintCase {
  rule: RuleId;
  failing: string;
  /** 1-based line of the failing finding in `failing`. */
  line: number;
  passing: string;
  stack?: string;
  /** Text the failing finding's message holds. */
  says?: string;
}

export const LINT_CASES: LintCase[] = [
  { rule: "invalid-action", failing: bound(['{sid: a, effect: Allow, action: [Function:List, Function:Read], resource: ["dev:*"]}']), line: 8, passing: bound(['{sid: a, effect: Allow, action: [Function:List, Function:Get], resource: ["dev:*"]}']), says: "did you mean Function:Get?" },
  { rule: "invalid-resource", failing: bound(["{sid: a, effect: Allow, action: [Function:List], resource: [dev]}"]), line: 8, passing: bound([LIST_DEV]) },
  { rule: "invalid-manifest", failing: bound(['{sid: a, effect: Deny, action: [Function:List], resource: ["dev:*"]}']), line: 8, passing: bound([LIST_DEV]), says: 'only "Allow" is supported' },
  {
    rule: "issuer-without-audience",
    failing: docs("apiVersion: iam.openfaas.com/v1\nkind: JwtIssuer\nmetadata: {name: idp}\nspec:\n  iss: https://idp.example.com\n  aud: []\n", bound([LIST_DEV])),
    line: 6,
    passing: docs("apiVersion: iam.openfaas.com/v1\nkind: JwtIssuer\nmetadata: {name: idp}\nspec:\n  iss: https://idp.example.com\n  aud: [openfaas]\n", bound([LIST_DEV])),
  },
  { rule: "missing-policy", failing: docs(policy("p", [LIST_DEV]), role("r", ["p", "nope"], [SA])), line: 16, passing: bound([LIST_DEV]), says: "grants Policy nope, which no manifest defines" },
  { rule: "unbound-policy", failing: docs(bound([LIST_DEV]), policy("q", [LIST_DEV])), line: 24, passing: docs(policy("p", [LIST_DEV]), policy("q", ['{sid: get, effect: Allow, action: [Function:Get], resource: ["dev:*"]}']), role("r", ["p", "q"], [SA])) },
  { rule: "wildcard-action", failing: bound(['{sid: all, effect: Allow, action: ["Function:*"], resource: ["dev:*"]}']), line: 8, passing: bound([LIST_DEV]), says: '"Function:*": 8 actions' },
  { rule: "wildcard-resource", failing: bound(['{sid: any, effect: Allow, action: [Function:List], resource: ["*:*"]}']), line: 8, passing: bound([LIST_DEV, '{sid: info, effect: Allow, action: [System:Info], resource: ["*"]}']) },
  {
    rule: "wide-write-namespace",
    failing: bound(['{sid: deploy, effect: Allow, action: [Function:Create], resource: ["app*:*"]}']),
    line: 8,
    passing: bound(['{sid: deploy, effect: Allow, action: [Function:Create], resource: ["tenant-*:*"]}', '{sid: read, effect: Allow, action: [Function:List], resource: ["app*:*"]}']),
    says: "reaches namespace apps",
  },
  {
    rule: "wide-write-namespace",
    failing: bound(['{sid: secrets, effect: Allow, action: [Secret:Create], resource: ["sh*:*"]}']),
    line: 8,
    passing: bound(['{sid: secrets, effect: Allow, action: [Secret:Create], resource: ["shop-tenant-*:*"]}']),
    stack: "version: 1.0\nprovider: {name: openfaas}\nfunctions:\n  cart:\n    lang: node-ts-iam\n    handler: ./cart\n    image: cart:1\n    namespace: shop\n",
    says: "reaches namespace shop",
  },
  { rule: "role-without-issuer", failing: docs(policy("p", [LIST_DEV]), role("r", ["p"], [SA], null)), line: 15, passing: bound([LIST_DEV]) },
  { rule: "principal-many-accounts", failing: docs(policy("p", [LIST_DEV]), role("r", ["p"], [SA, "system:serviceaccount:apps:two"])), line: 18, passing: bound([LIST_DEV]), says: "binds 2 service accounts" },
  {
    rule: "principal-many-accounts",
    failing: docs(policy("p", [LIST_DEV]), role("r", ["p"], undefined, `{StringEqual: {"jwt:iss": ["${ISS}"], "jwt:kubernetes.io/namespace": [apps]}}`)),
    line: 17,
    passing: docs(policy("p", [LIST_DEV]), role("r", ["p"], undefined, '{StringEqual: {"jwt:iss": ["https://idp.example.com"]}, ForAnyValue:StringEqual: {"jwt:groups": [ops]}}')),
    says: "names no subject",
  },
  { rule: "shadowed-statement", failing: bound(['{sid: all, effect: Allow, action: [Function:List, Function:Get], resource: ["dev:*"]}', '{sid: get-api, effect: Allow, action: [Function:Get], resource: ["dev:api"]}']), line: 9, passing: bound([LIST_DEV, '{sid: get-api, effect: Allow, action: [Function:Get], resource: ["dev:api"]}']), says: "grants nothing statement all does not" },
  {
    rule: "shadowed-statement",
    failing: docs(policy("p", [LIST_DEV]), policy("q", ['{sid: list-dev, effect: Allow, action: [Function:List], resource: ["d*:*"]}']), role("r", ["p", "q"], [SA])),
    line: 8,
    passing: docs(policy("p", [LIST_DEV]), policy("q", ['{sid: list-dev, effect: Allow, action: [Function:List], resource: ["d*:*"]}']), role("r", ["p", "q"], [SA]), role("s", ["p"], ["system:serviceaccount:apps:two"])),
    says: "of Policy q",
  },
  {
    rule: "bad-accept",
    failing: docs(policy("p", [LIST_DEV], '    lint.node-ts-iam/accept-no-such-rule: "because"'), role("r", ["p"], [SA])),
    line: 7,
    passing: docs(policy("p", ['{sid: all, effect: Allow, action: ["Function:*"], resource: ["dev:*"]}'], '    lint.node-ts-iam/accept-wildcard-action: "the dev namespace is this bot\'s own sandbox"'), role("r", ["p"], [SA])),
    says: "names no rule",
  },
  {
    rule: "unused-accept",
    failing: docs(policy("p", [LIST_DEV], '    lint.node-ts-iam/accept-wildcard-action: "was needed once"'), role("r", ["p"], [SA])),
    line: 7,
    passing: docs(policy("p", ['{sid: all, effect: Allow, action: ["Function:*"], resource: ["dev:*"]}'], '    lint.node-ts-iam/accept-wildcard-action: "the dev namespace is this bot\'s own sandbox"'), role("r", ["p"], [SA])),
  },
];
