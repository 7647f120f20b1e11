import { describe, expect, it } from "vitest";
import { conditionHolds, claimAt } from "../../sandbox/src/iam/conditions.js";
import { PolicyEngine, roleMatches } from "../../sandbox/src/iam/policy-engine.js";
import type { PolicyObject, RoleObject } from "../../sandbox/src/iam/types.js";

const policy = (name: string, statement: PolicyObject["spec"]["statement"]): PolicyObject => ({ kind: "Policy", name, namespace: "openfaas", source: "test", spec: { statement } });
const role = (name: string, spec: RoleObject["spec"]): RoleObject => ({ kind: "Role", name, namespace: "openfaas", source: "test", spec });

const engine = new PolicyEngine([
  policy("dev-rw", [{ sid: "rw", effect: "Allow", action: ["Function:*", "Secret:List"], resource: ["dev:*"] }]),
  policy("one-fn", [{ sid: "invoke", effect: "Allow", action: ["Function:Invoke", "Function:Get"], resource: ["prod:billing"] }]),
  policy("tenants", [{ sid: "ns", effect: "Allow", action: ["Namespace:*"], resource: ["tenant-*:*"] }]),
  policy("admin", [{ sid: "all", effect: "Allow", action: ["*"], resource: ["*"] }]),
  policy("info", [{ sid: "info", effect: "Allow", action: ["System:Info"], resource: ["*"] }]),
  policy("conditional", [{ sid: "c", effect: "Allow", action: ["Function:List"], resource: ["staging:*"], condition: { StringEqual: { "jwt:kubernetes.io/namespace": ["ci"] } } }]),
  policy("two-statements", [
    { sid: "a", effect: "Allow", action: ["Function:Logs"], resource: ["qa:*"] },
    { sid: "b", effect: "Allow", action: ["Function:Scale"], resource: ["qa:api"] },
  ]),
  policy("dotted", [{ sid: "d", effect: "Allow", action: ["Function:Get"], resource: ["a.b:*"] }]),
]);

// [policies, action, resource, expected]
const table: [string[], string, string, boolean][] = [
  [["dev-rw"], "Function:List", "dev:*", true],
  [["dev-rw"], "Function:Get", "dev:fn1", true],
  [["dev-rw"], "Function:Create", "dev:new", true],
  [["dev-rw"], "Function:Delete", "dev:fn1", true],
  [["dev-rw"], "Function:Scale", "dev:fn1", true],
  [["dev-rw"], "Function:Logs", "dev:fn1", true],
  [["dev-rw"], "Secret:List", "dev:*", true],
  [["dev-rw"], "Secret:Create", "dev:*", false],
  [["dev-rw"], "Function:List", "prod:*", false],
  [["dev-rw"], "Function:List", "development:*", false],
  [["dev-rw"], "Function:List", "xdev:*", false],
  [["dev-rw"], "Namespace:List", "dev:*", false],
  [["dev-rw"], "System:Info", "*", false],
  [["one-fn"], "Function:Invoke", "prod:billing", true],
  [["one-fn"], "Function:Get", "prod:billing", true],
  [["one-fn"], "Function:Get", "prod:billing2", false],
  [["one-fn"], "Function:List", "prod:*", false],
  [["one-fn"], "Function:Delete", "prod:billing", false],
  [["tenants"], "Namespace:Create", "tenant-a:*", true],
  [["tenants"], "Namespace:Delete", "tenant-b:*", true],
  [["tenants"], "Namespace:Get", "tenant-:*", true],
  [["tenants"], "Namespace:Create", "tenant:*", false],
  [["tenants"], "Namespace:Create", "other:*", false],
  [["tenants"], "Function:List", "tenant-a:*", false],
  [["admin"], "Namespace:Delete", "anything:*", true],
  [["admin"], "System:Info", "*", true],
  [["admin"], "Secret:Update", "prod:*", true],
  [["info"], "System:Info", "*", true],
  [["info"], "Function:List", "*", false],
  [[], "Function:List", "dev:*", false],
  [["no-such-policy"], "Function:List", "dev:*", false],
  [["no-such-policy", "dev-rw"], "Function:List", "dev:*", true],
  [["one-fn", "tenants"], "Namespace:Update", "tenant-x:*", true],
  [["two-statements"], "Function:Logs", "qa:web", true],
  [["two-statements"], "Function:Scale", "qa:api", true],
  [["two-statements"], "Function:Scale", "qa:web", false],
  [["dotted"], "Function:Get", "a.b:x", true],
  [["dotted"], "Function:Get", "axb:x", false],
  [["dev-rw"], "function:list", "dev:*", false],
  [["dev-rw"], "Function:List", "DEV:*", false],
];

describe("policy decision table", () => {
  it.each(table)("%j %s on %s → %s", (policies, action, resource, expected) => {
    expect(engine.authorize(policies, action, resource, {}).allowed).toBe(expected);
  });

  it("evaluates statement conditions against the token's claims at request time", () => {
    const ci = { "kubernetes.io": { namespace: "ci" } };
    expect(engine.authorize(["conditional"], "Function:List", "staging:*", ci).allowed).toBe(true);
    expect(engine.authorize(["conditional"], "Function:List", "staging:*", { "kubernetes.io": { namespace: "dev" } }).allowed).toBe(false);
    expect(engine.authorize(["conditional"], "Function:List", "staging:*", {}).allowed).toBe(false);
  });

  it("applies a changed Policy to tokens already issued (contents looked up per request)", () => {
    const e = new PolicyEngine([policy("p", [{ sid: "s", effect: "Allow", action: ["Function:List"], resource: ["dev:*"] }])]);
    expect(e.authorize(["p"], "Function:List", "prod:*", {}).allowed).toBe(false);
    e.replace([policy("p", [{ sid: "s", effect: "Allow", action: ["Function:List"], resource: ["prod:*"] }])], []);
    expect(e.authorize(["p"], "Function:List", "prod:*", {}).allowed).toBe(true);
  });
});

describe("condition operators", () => {
  const claims = { sub: "repo:acme/app:ref:refs/heads/main", email: "Dev@Example.com", groups: ["dev", "ops"], "kubernetes.io": { namespace: "ci", serviceaccount: { name: "builder" } }, "https://idp.example.com#tier": "gold", n: 3 };
  const cases: [string, Record<string, Record<string, string[]>>, boolean][] = [
    ["StringEqual exact", { StringEqual: { "jwt:sub": ["repo:acme/app:ref:refs/heads/main"] } }, true],
    ["StringEquals (docs spelling)", { StringEquals: { "jwt:sub": ["repo:acme/app:ref:refs/heads/main"] } }, true],
    ["StringEqual is case-sensitive", { StringEqual: { "jwt:email": ["dev@example.com"] } }, false],
    ["StringEqualIgnoreCase", { StringEqualIgnoreCase: { "jwt:email": ["dev@example.com"] } }, true],
    ["StringLike wildcard", { StringLike: { "jwt:sub": ["repo:acme/*:ref:refs/heads/*"] } }, true],
    ["StringLike anchored", { StringLike: { "jwt:sub": ["acme/*"] } }, false],
    ["StringLike treats regex characters literally", { StringLike: { "jwt:sub": ["repo:acme.app*"] } }, false],
    ["ForAnyValue on an array claim", { "ForAnyValue:StringEqual": { "jwt:groups": ["admins", "ops"] } }, true],
    ["ForAnyValue with no common value", { "ForAnyValue:StringEqual": { "jwt:groups": ["admins"] } }, false],
    ["StringEqual does not match an array claim", { StringEqual: { "jwt:groups": ["dev"] } }, false],
    ["values of one key are ORed", { StringEqual: { "jwt:kubernetes.io/namespace": ["dev", "ci"] } }, true],
    ["keys are ANDed", { StringEqual: { "jwt:kubernetes.io/namespace": ["ci"], "jwt:kubernetes.io/serviceaccount/name": ["other"] } }, false],
    ["operators are ANDed (both hold)", { StringEqual: { "jwt:kubernetes.io/namespace": ["ci"] }, StringLike: { "jwt:email": ["*@Example.com"] } }, true],
    ["operators are ANDed (one fails)", { StringEqual: { "jwt:kubernetes.io/namespace": ["ci"] }, StringLike: { "jwt:email": ["*@other.com"] } }, false],
    ["top-level claim names with URL characters", { StringEqual: { "jwt:https://idp.example.com#tier": ["gold"] } }, true],
    ["missing claim never matches", { StringLike: { "jwt:absent": ["*"] } }, false],
    ["numbers compare as strings", { StringEqual: { "jwt:n": ["3"] } }, true],
    ["unknown operator fails closed", { StringNotEquals: { "jwt:sub": ["x"] } }, false],
  ];
  it.each(cases)("%s", (_name, condition, expected) => {
    expect(conditionHolds(condition, claims)).toBe(expected);
  });

  it("reads nested claims by / path", () => {
    expect(claimAt(claims, "jwt:kubernetes.io/serviceaccount/name")).toBe("builder");
  });
});

describe("role matching", () => {
  const sub = "system:serviceaccount:dev:whoami";
  it("matches the principal exactly, any listed value", () => {
    expect(roleMatches(role("r", { principal: { "jwt:sub": ["x", sub] } }), { sub })).toBe(true);
    expect(roleMatches(role("r", { principal: { "jwt:sub": ["system:serviceaccount:dev:*"] } }), { sub })).toBe(false);
  });
  it("needs principal and condition to hold together", () => {
    const r = role("r", { principal: { "jwt:sub": [sub] }, condition: { StringEqual: { "jwt:kubernetes.io/namespace": ["dev"] } } });
    expect(roleMatches(r, { sub, "kubernetes.io": { namespace: "dev" } })).toBe(true);
    expect(roleMatches(r, { sub, "kubernetes.io": { namespace: "prod" } })).toBe(false);
  });
  it("matches by condition alone and collects policy names once", () => {
    const e = new PolicyEngine([], [
      role("a", { condition: { StringLike: { "jwt:sub": ["system:serviceaccount:dev:*"] } }, policy: ["p1", "p2"] }),
      role("b", { principal: { "jwt:sub": [sub] }, policy: ["p2", "p3"] }),
      role("c", { principal: { "jwt:sub": ["someone-else"] }, policy: ["p4"] }),
    ]);
    expect(e.policiesFor({ sub })).toEqual(["p1", "p2", "p3"]);
    expect(e.policiesFor({ sub: "nobody" })).toEqual([]);
  });
});
