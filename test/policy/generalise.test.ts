/**
 * The generalisation rule (exact by default; a namespace pattern or functions widened only with a
 * flag and at least two distinct observations) and pattern coverage (one IAM pattern covering
 * another, one Policy granting nothing beyond another).
 */
import { describe, expect, it } from "vitest";
import { globMatches } from "../../sandbox/src/iam/glob.js";
import type { PolicyObject, PolicyStatement } from "../../sandbox/src/iam/types.js";
import { expandAction, grantsBeyond, patternCovers } from "../../sandbox/src/policy/coverage.js";
import { PolicyToolError } from "../../sandbox/src/policy/errors.js";
import { checkNamespacePattern, generalise } from "../../sandbox/src/policy/generalise.js";

const observed = (entries: Record<string, string[]>) => new Map(Object.entries(entries).map(([a, r]) => [a, new Set(r)]));
const policy = (name: string, ...statement: Omit<PolicyStatement, "effect">[]): PolicyObject => ({
  kind: "Policy",
  name,
  namespace: "openfaas",
  source: `${name}.yaml#1`,
  spec: { statement: statement.map((s) => ({ effect: "Allow", ...s })) },
});

describe("generalise", () => {
  it("lists every resource exactly as observed by default, however many there are", () => {
    const { grants, notes } = generalise(observed({ "Namespace:Create": ["tenant-b:*", "tenant-a:*", "tenant-c:*"], "Function:Get": ["dev:x", "dev:y"] }));
    expect(Object.fromEntries(grants)).toEqual({ "Namespace:Create": ["tenant-a:*", "tenant-b:*", "tenant-c:*"], "Function:Get": ["dev:x", "dev:y"] });
    expect(notes).toEqual([]);
  });

  it("widens to <pattern>:* an action seen in two or more matching namespaces, and says so", () => {
    const { grants, notes } = generalise(observed({ "Namespace:Create": ["tenant-a:*", "tenant-b:*", "dev:*"], "Function:Create": ["tenant-a:hello", "tenant-b:hello"] }), { namespaces: ["tenant-*"] });
    expect(grants.get("Namespace:Create")).toEqual(["dev:*", "tenant-*:*"]);
    expect(grants.get("Function:Create")).toEqual(["tenant-*:*"]);
    expect(notes).toContainEqual({ action: "Namespace:Create", text: "tenant-*:* in place of tenant-a, tenant-b (2 namespaces observed)" });
  });

  it("keeps one matching namespace exact, per action, with a note why", () => {
    const { grants, notes } = generalise(observed({ "Namespace:Update": ["tenant-acme:*"], "Namespace:Get": ["tenant-acme:*", "tenant-beta:*"] }), { namespaces: ["tenant-*"] });
    expect(grants.get("Namespace:Update")).toEqual(["tenant-acme:*"]);
    expect(grants.get("Namespace:Get")).toEqual(["tenant-*:*"]);
    expect(notes).toContainEqual({ action: "Namespace:Update", text: "kept tenant-acme exact: tenant-* needs 2 or more namespaces observed, saw 1" });
  });

  it("counts distinct namespaces, not resources: two functions in one tenant are one namespace", () => {
    const { grants } = generalise(observed({ "Function:Delete": ["tenant-a:x", "tenant-a:y"] }), { namespaces: ["tenant-*"] });
    expect(grants.get("Function:Delete")).toEqual(["tenant-a:x", "tenant-a:y"]);
  });

  it("leaves namespaces the pattern does not match, and the cluster resource, alone", () => {
    const { grants } = generalise(observed({ "Function:List": ["tenant-a:*", "tenant-b:*", "team-x:*"], "System:Info": ["*"] }), { namespaces: ["tenant-*"] });
    expect(grants.get("Function:List")).toEqual(["team-x:*", "tenant-*:*"]);
    expect(grants.get("System:Info")).toEqual(["*"]);
  });

  it("widens functions of one namespace to <ns>:* only with the flag and two or more functions", () => {
    const input = observed({ "Function:Get": ["dev:a", "dev:b", "prod:c"], "Function:List": ["dev:*"] });
    expect(generalise(input).grants.get("Function:Get")).toEqual(["dev:a", "dev:b", "prod:c"]);
    const { grants, notes } = generalise(input, { functions: true });
    expect(grants.get("Function:Get")).toEqual(["dev:*", "prod:c"]);
    expect(grants.get("Function:List")).toEqual(["dev:*"]);
    expect(notes.map((n) => n.text)).toEqual(["dev:* in place of 2 functions (a, b)", "kept prod:c exact: 2 or more functions of prod are needed to widen to prod:*"]);
  });

  it("drops a resource another widened pattern covers (overlapping patterns)", () => {
    const { grants } = generalise(observed({ "Namespace:Get": ["tenant-a:*", "tenant-ab:*", "tenant-b:*"] }), { namespaces: ["tenant-a*", "tenant-*"] });
    expect(grants.get("Namespace:Get")).toEqual(["tenant-*:*"]);
  });

  it.each(["*", "**", "tenant", "Tenant-*", "tenant-*:*", "tenant_*", "-x*", ""])("refuses the namespace pattern %j with a usage error", (pattern) => {
    expect(() => checkNamespacePattern(pattern)).toThrow(PolicyToolError);
    expect(() => generalise(observed({ "Function:List": ["a:*"] }), { namespaces: [pattern] })).toThrow(/--generalise-namespaces/);
  });
});

describe("pattern coverage", () => {
  it.each([
    ["tenant-*:*", "tenant-a:*", true],
    ["tenant-*:*", "tenant-*:*", true],
    ["tenant-*:*", "tenant-a:fn", true],
    ["*", "tenant-*:*", true],
    ["*:*", "dev:x", true],
    ["dev:*", "dev:x", true],
    ["dev:x", "dev:*", false],
    ["tenant-a:*", "tenant-*:*", false],
    ["tenant-*:*", "*", false],
    ["tenant-*:*", "team:*", false],
    ["*a*", "*a*a*", true],
    ["*a*a*", "*a*", false],
    ["a*", "*a", false],
    ["dev:*", "dev:*x", true],
  ])("%s covers %s: %s", (general, specific, expected) => {
    expect(patternCovers(general, specific)).toBe(expected);
  });

  it("agrees with matching on concrete words (a pattern without * covers exactly what it matches)", () => {
    const patterns = ["*", "dev:*", "tenant-*:*", "*:x", "t*-*:*", "dev:x"];
    const words = ["dev:x", "dev:y", "tenant-a:*", "tenant-a:x", "t-b:z", "prod:x", "*"];
    for (const p of patterns) for (const w of words.filter((w) => !w.includes("*"))) expect(patternCovers(p, w), `${p} ${w}`).toBe(globMatches(p, w));
  });

  it("expands action wildcards over the actions the gateway checks", () => {
    expect(expandAction("Secret:*")).toEqual(["Secret:List", "Secret:Create", "Secret:Update", "Secret:Delete"]);
    expect(expandAction("*")).toHaveLength(18);
    expect(expandAction("Function:Get")).toEqual(["Function:Get"]);
  });

  it("finds what a Policy grants beyond another, action by action and resource by resource", () => {
    const shipped = policy("shipped", { sid: "a", action: ["Function:*"], resource: ["tenant-*:*"] }, { sid: "b", action: ["Namespace:List"], resource: ["dev:*"] });
    const narrower = policy("s", { sid: "x", action: ["Function:Get", "Function:Create"], resource: ["tenant-a:fn", "tenant-*:*"] }, { sid: "y", action: ["Namespace:List"], resource: ["dev:*"] });
    expect(grantsBeyond([narrower], [shipped])).toEqual([]);
    const wider = policy("w", { sid: "x", action: ["Function:Get"], resource: ["*"] }, { sid: "y", action: ["Secret:List"], resource: ["tenant-a:*"] });
    expect(grantsBeyond([wider], [shipped]).map((g) => `${g.action} ${g.resource}`)).toEqual(["Function:Get *", "Secret:List tenant-a:*"]);
  });

  it("does not count a conditional grant as covering an unconditional one", () => {
    const conditional = policy("c", { sid: "a", action: ["Function:List"], resource: ["dev:*"], condition: { StringEqual: { "jwt:iss": ["https://a"] } } });
    const plain = policy("p", { sid: "a", action: ["Function:List"], resource: ["dev:*"] });
    expect(grantsBeyond([plain], [conditional])).toHaveLength(1);
    expect(grantsBeyond([conditional], [plain])).toEqual([]);
    expect(grantsBeyond([conditional], [conditional])).toEqual([]);
  });
});
