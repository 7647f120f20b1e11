/**
 * Every iam.openfaas.com object the functions ship (functions/<name>/iam/, the callers' in
 * functions/callers/iam/ and functions/cluster/) validates against the openAPIV3Schema of the
 * reference CRDs (faas-netes chart).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { functionNames, readManifests, repoRoot, type Manifest } from "../functions/support/repo.js";
import { validate, type Schema } from "../functions/support/schema.js";

interface Crd {
  spec: { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
}

const crdDir = join(process.env["OPENFAAS_REFERENCE_DIR"] ?? join(repoRoot, "../shared/reference"), "crds");
const schemas = new Map<string, Schema>();
for (const file of readdirSync(crdDir).filter((f) => f.endsWith(".yaml"))) {
  const crd = parse(readFileSync(join(crdDir, file), "utf8")) as Crd;
  for (const version of crd.spec.versions) {
    schemas.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, version.schema.openAPIV3Schema);
  }
}

const functionObjects: Manifest[] = functionNames().flatMap((name) => readManifests(join(repoRoot, "functions", name, "iam")));
const callerObjects: Manifest[] = readManifests(join(repoRoot, "functions", "callers", "iam"));
const iamObjects: Manifest[] = [...functionObjects, ...callerObjects, ...readManifests(join(repoRoot, "functions", "cluster"))].filter((m) =>
  m.apiVersion.startsWith("iam.openfaas.com/"),
);

describe("function IAM manifests against the reference CRDs", () => {
  it("found the CRDs and the manifests", () => {
    expect([...schemas.keys()].sort()).toEqual(["iam.openfaas.com/v1/JwtIssuer", "iam.openfaas.com/v1/Policy", "iam.openfaas.com/v1/Role"]);
    expect(functionObjects.filter((m) => m.kind === "Role")).toHaveLength(functionNames().length);
    expect(callerObjects.filter((m) => m.apiVersion.startsWith("iam.openfaas.com/")).map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
      "JwtIssuer/example-idp",
      "Policy/invoke-privileged-functions",
      "Policy/operators-invoke-privileged-functions",
      "Role/ci-deployer",
      "Role/platform-operators",
    ]);
    expect(iamObjects.some((m) => m.kind === "JwtIssuer")).toBe(true);
  });

  it.each(iamObjects.map((m) => [`${m.kind} ${m.metadata.name} (${m.file.slice(repoRoot.length + 1)})`, m] as const))("%s", (_label, manifest) => {
    const schema = schemas.get(`${manifest.apiVersion}/${manifest.kind}`);
    expect(schema, `no CRD for ${manifest.apiVersion} ${manifest.kind}`).toBeDefined();
    const { file: _file, ...object } = manifest;
    expect(validate(schema!, object)).toEqual([]);
  });

  it("the CRD schema catches a broken manifest", () => {
    const broken = { apiVersion: "iam.openfaas.com/v1", kind: "Policy", metadata: { name: "x" }, spec: { statement: [{ sid: "a", effect: "Allow", action: "Function:List" }] } };
    expect(validate(schemas.get("iam.openfaas.com/v1/Policy")!, broken)).toEqual(
      expect.arrayContaining([expect.stringContaining("missing required \"resource\""), expect.stringContaining("expected array")]),
    );
  });
});
