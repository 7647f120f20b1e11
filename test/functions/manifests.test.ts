import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IAM_CRD_SCHEMAS, loadManifests, validateStructure } from "@node-ts-iam/sandbox";
import { iamSchemas } from "./support/iam-schema.js";
import { sampleHint } from "./support/conventions.js";
import { functionNames, readManifests, repoRoot, type Manifest } from "./support/repo.js";
import { validate } from "./support/schema.js";

const CLUSTER_ISSUER = "https://kubernetes.default.svc.cluster.local";

describe.each(functionNames())("IAM manifests of %s", (name) => {
  const dir = join(repoRoot, "functions", name, "iam");
  const manifests = existsSync(dir) ? readManifests(dir) : [];
  const byKind = (kind: string): Manifest[] => manifests.filter((m) => m.kind === kind);

  it("are exactly one ServiceAccount, Policy and Role, each valid", () => {
    expect(manifests.map((m) => m.kind).sort(), sampleHint(name, `the kinds in ${dir}`)).toEqual(["Policy", "Role", "ServiceAccount"]);
    for (const m of manifests) {
      const { file: _file, ...object } = m;
      expect(validate(iamSchemas[m.kind]!, object), `${m.file}`).toEqual([]);
    }
  });

  it("load in the sandbox (its CRD schemas and semantic checks), which reads exactly these files", async () => {
    const warnings: string[] = [];
    const loaded = await loadManifests([join(repoRoot, "functions", name, "iam")], (line) => warnings.push(line));
    expect(warnings).toEqual([]);
    expect([loaded.serviceAccounts.length, loaded.policies.length, loaded.roles.length, loaded.issuers.length]).toEqual([1, 1, 1, 0]);
    for (const m of manifests.filter((x) => x.kind in IAM_CRD_SCHEMAS)) {
      const { file: _file, ...object } = m;
      expect(validateStructure(object, IAM_CRD_SCHEMAS[m.kind as keyof typeof IAM_CRD_SCHEMAS])).toEqual([]);
    }
  });

  it("bind the function's own service account, from the cluster issuer only, to its own policy", () => {
    const [account] = byKind("ServiceAccount");
    const [role] = byKind("Role");
    const [policy] = byKind("Policy");
    const spec = role!.spec as { policy: string[]; principal: Record<string, string[]>; condition: Record<string, Record<string, string[]>> };
    expect(spec.principal["jwt:sub"]).toEqual([`system:serviceaccount:${account!.metadata.namespace}:${account!.metadata.name}`]);
    expect(spec.condition["StringEqual"]?.["jwt:iss"]).toEqual([CLUSTER_ISSUER]);
    expect(spec.policy).toEqual([policy!.metadata.name]);
  });

  it("grant no wildcard action and no Invoke", () => {
    const statements = (byKind("Policy")[0]!.spec as { statement: { action: string[] }[] }).statement;
    const actions = statements.flatMap((s) => s.action);
    expect(actions.filter((a) => a === "*" || a.endsWith(":*") || a === "Function:Invoke")).toEqual([]);
  });
});

describe("policy scopes", () => {
  const resources = (fn: string): string[] =>
    (readManifests(join(repoRoot, "functions", fn, "iam")).find((m) => m.kind === "Policy")!.spec as { statement: { resource: string[] }[] }).statement.flatMap(
      (s) => s.resource,
    );

  it("tenant-provisioner is confined to tenant-*:*", () => {
    expect(resources("tenant-provisioner")).toEqual(["tenant-*:*"]);
  });

  it("ns-admin manages only dev", () => {
    expect(resources("ns-admin")).toEqual(["dev:*"]);
  });

  it("the validator rejects what the gateway would not understand", () => {
    const bad = {
      apiVersion: "iam.openfaas.com/v1",
      kind: "Policy",
      metadata: { name: "x", namespace: "openfaas" },
      spec: { statement: [{ sid: "s", effect: "Deny", action: ["Function:Read"], resource: ["dev"] }] },
    };
    expect(validate(iamSchemas["Policy"]!, bad)).toHaveLength(3);
  });
});
