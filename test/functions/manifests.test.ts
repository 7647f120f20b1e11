import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IAM_CRD_SCHEMAS, loadManifests, validateStructure } from "@node-ts-iam/sandbox";
import { iamSchemas } from "./support/iam-schema.js";
import { functionNames, readManifests, repoRoot, type Manifest } from "./support/repo.js";
import { validate } from "./support/schema.js";

const CLUSTER_ISSUER = "https://kubernetes.default.svc.cluster.local";

describe.each(functionNames())("IAM manifests of %s", (name) => {
  const manifests = readManifests(join(repoRoot, "functions", name, "iam"));
  const byKind = (kind: string): Manifest[] => manifests.filter((m) => m.kind === kind);

  it("are exactly one ServiceAccount, Policy and Role, each valid", () => {
    expect(manifests.map((m) => m.kind).sort()).toEqual(["Policy", "Role", "ServiceAccount"]);
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

describe("real-cluster token routes (functions/cluster)", () => {
  const cluster = readManifests(join(repoRoot, "functions", "cluster"));

  it("the Kyverno policy mounts a gateway-audience token where the SDK reads it, on pods the stack labels", () => {
    const policy = cluster.find((m) => m.kind === "ClusterPolicy")!;
    expect(policy.apiVersion).toBe("kyverno.io/v1");
    const rule = (policy.spec as { rules: Record<string, unknown>[] }).rules[0] as {
      match: { any: { resources: { kinds: string[]; selector: { matchLabels: Record<string, string> } } }[] };
      mutate: { patchStrategicMerge: { spec: { volumes: { name: string; projected: { sources: { serviceAccountToken: Record<string, unknown> }[] } }[]; containers: { volumeMounts: { name: string; mountPath: string; readOnly: boolean }[] }[] } } };
    };
    expect(rule.match.any[0]!.resources.kinds).toEqual(["Pod"]);
    expect(rule.match.any[0]!.resources.selector.matchLabels).toEqual({ "openfaas-iam/token": "true" });
    const [volume] = rule.mutate.patchStrategicMerge.spec.volumes;
    const token = volume!.projected.sources[0]!.serviceAccountToken as { audience: string; path: string; expirationSeconds: number };
    expect(token.path).toBe("openfaas-token");
    expect(token.audience).toMatch(/^https:\/\//);
    expect(token.expirationSeconds).toBeGreaterThanOrEqual(600);
    expect(rule.mutate.patchStrategicMerge.spec.containers[0]!.volumeMounts).toEqual([
      { name: volume!.name, mountPath: "/var/secrets/tokens", readOnly: true },
    ]);
  });

  it("the JwtIssuer variant loads in the sandbox; the Kyverno policy is skipped there, as it is not IAM", async () => {
    const warnings: string[] = [];
    const loaded = await loadManifests([join(repoRoot, "functions", "cluster")], (line) => warnings.push(line));
    expect(loaded.issuers.map((i) => i.name)).toEqual(["kubernetes"]);
    expect(warnings.join("\n")).toMatch(/ClusterPolicy/);
  });

  it("the JwtIssuer variant accepts the API server audience and states its risk", () => {
    const issuer = cluster.find((m) => m.kind === "JwtIssuer")!;
    const spec = issuer.spec as { iss: string; aud: string[] };
    expect(spec.iss).toBe(CLUSTER_ISSUER);
    expect(spec.aud).toContain(CLUSTER_ISSUER);
    expect(readFileSync(issuer.file, "utf8")).toMatch(/RISK:/);
  });
});
