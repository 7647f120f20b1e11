/**
 * The callers' IAM manifests (functions/callers/iam/): who may invoke the privileged samples. They
 * load in the sandbox without a warning, and the sandbox's own policy engine decides a table of
 * callers exactly as the README promises: the CI service account from the cluster issuer and people
 * of one IdP group may invoke ns-admin and tenant-provisioner, nobody else and nothing else.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadManifests } from "@node-ts-iam/sandbox";
import { PolicyEngine } from "../../sandbox/src/iam/policy-engine.js";
import { readManifests, readStack, repoRoot } from "./support/repo.js";

const DIR = join(repoRoot, "functions", "callers", "iam");
const CLUSTER = "https://kubernetes.default.svc.cluster.local";
const IDP = "https://idp.example.com";
const CI = { iss: CLUSTER, sub: "system:serviceaccount:ci:deployer", "kubernetes.io": { namespace: "ci" } };
const OPERATOR = { iss: IDP, sub: "alice", email: "alice@example.com", groups: ["developers", "platform-operators"] };

describe("caller manifests (functions/callers/iam)", async () => {
  const warnings: string[] = [];
  const loaded = await loadManifests([DIR], (line) => warnings.push(line));
  const engine = new PolicyEngine(loaded.policies, loaded.roles);
  const invoke = (claims: Record<string, unknown>, resource: string): boolean => engine.authorize(engine.policiesFor(claims), "Function:Invoke", resource, claims).allowed;

  it("load in the sandbox without a warning: the CI ServiceAccount, two Policies (CI, people), two Roles, the example JwtIssuer", () => {
    expect(warnings).toEqual([]);
    expect(loaded.serviceAccounts.map((sa) => `${sa.namespace}/${sa.name}`)).toEqual(["ci/deployer"]);
    expect(loaded.policies.map((p) => p.name)).toEqual(["invoke-privileged-functions", "operators-invoke-privileged-functions"]);
    expect(loaded.roles.map((r) => r.name).sort()).toEqual(["ci-deployer", "platform-operators"]);
    expect(loaded.issuers.map((i) => i.spec.iss)).toEqual([IDP]);
  });

  it("grant Function:Invoke alone, on exactly ns-admin and tenant-provisioner", () => {
    const policies = readManifests(DIR).filter((m) => m.kind === "Policy");
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      const statements = (policy.spec as { statement: { action: string[]; resource: string[]; condition?: unknown }[] }).statement;
      expect(statements.flatMap((s) => s.action)).toEqual(["Function:Invoke"]);
      expect(statements.flatMap((s) => s.resource).sort()).toEqual(["openfaas-fn:ns-admin", "openfaas-fn:tenant-provisioner"]);
    }
  });

  it.each([
    ["ci/deployer from the cluster issuer", CI, "openfaas-fn:ns-admin", true],
    ["ci/deployer from the cluster issuer", CI, "openfaas-fn:tenant-provisioner", true],
    ["ci/deployer, the janitor (the cron-connector's)", CI, "openfaas-fn:preview-janitor", false],
    ["ci/deployer, a function whose name extends ns-admin", CI, "openfaas-fn:ns-admin2", false],
    ["ci/deployer, ns-admin in another namespace", CI, "dev:ns-admin", false],
    ["ci/deployer with a token from another issuer", { ...CI, iss: "https://other.example" }, "openfaas-fn:ns-admin", false],
    ["another service account of ci", { ...CI, sub: "system:serviceaccount:ci:builder" }, "openfaas-fn:ns-admin", false],
    ["ns-admin's own identity", { iss: CLUSTER, sub: "system:serviceaccount:openfaas-fn:ns-admin" }, "openfaas-fn:ns-admin", false],
    ["a platform operator from the IdP", OPERATOR, "openfaas-fn:tenant-provisioner", true],
    ["a platform operator, the janitor", OPERATOR, "openfaas-fn:preview-janitor", false],
    ["an IdP user outside the group", { ...OPERATOR, groups: ["developers"] }, "openfaas-fn:ns-admin", false],
    ["an IdP user without a groups claim", { iss: IDP, sub: "bob" }, "openfaas-fn:ns-admin", false],
    ["the group claimed by a token of another issuer", { ...OPERATOR, iss: "https://evil.example" }, "openfaas-fn:ns-admin", false],
  ])("%s → %s: %s", (_who, claims, resource, allowed) => {
    expect(invoke(claims, resource)).toBe(allowed);
  });

  it("grant no other action, even to the callers they name", () => {
    for (const claims of [CI, OPERATOR]) {
      const policies = engine.policiesFor(claims);
      for (const action of ["Function:List", "Function:Get", "Function:Create", "Namespace:List", "Secret:List", "System:Info"]) {
        expect(engine.authorize(policies, action, "openfaas-fn:*", claims).allowed, action).toBe(false);
      }
    }
  });

  it("cover every stack function with jwt_auth except the janitor, which the cron-connector calls", () => {
    const functions = readStack().stack["functions"] as Record<string, { namespace: string; environment?: Record<string, string> }>;
    const secured = Object.entries(functions).filter(([, f]) => f.environment?.["jwt_auth"] === "true");
    expect(secured.map(([name]) => name).sort()).toEqual(["ns-admin", "preview-janitor", "tenant-provisioner"]);
    for (const [name, f] of secured) expect(invoke(CI, `${f.namespace}:${name}`), name).toBe(name !== "preview-janitor");
  });
});
