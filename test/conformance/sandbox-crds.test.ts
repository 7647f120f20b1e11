import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { IAM_CRD_SCHEMAS } from "../../sandbox/src/iam/crd-schemas.js";
import { validateStructure } from "../../sandbox/src/schema/structural-schema.js";
import { referenceCrdSchema, structuralShape, toStructural } from "./sandbox-reference.js";

const files = { JwtIssuer: "iam.openfaas.com_jwtissuers.yaml", Policy: "iam.openfaas.com_policies.yaml", Role: "iam.openfaas.com_roles.yaml" } as const;
const repo = resolve(import.meta.dirname, "../..");

/** Every IAM manifest the sandbox and its tests load. */
function manifestFiles(): string[] {
  const out: string[] = [];
  for (const base of [join(repo, "functions"), join(repo, "test/sandbox/fixtures/root/functions")]) {
    let names: string[] = [];
    try {
      names = readdirSync(base);
    } catch {
      continue;
    }
    for (const n of names) {
      const dir = join(base, n, "iam");
      try {
        out.push(...readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f)));
      } catch {
        // no iam folder
      }
    }
  }
  return out;
}

describe("sandbox CRD schemas against the reference CRDs", () => {
  it.each(Object.entries(files))("%s: our schema equals the reference openAPIV3Schema structurally", (kind, file) => {
    expect(structuralShape(IAM_CRD_SCHEMAS[kind as keyof typeof files])).toEqual(structuralShape(referenceCrdSchema(file)));
  });

  it("every shipped and fixture IAM manifest validates against the reference CRDs", () => {
    const checked: string[] = [];
    for (const file of manifestFiles()) {
      for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
        const obj = doc.toJS() as { apiVersion?: string; kind?: string; metadata?: { name?: string } } | null;
        if (!obj || obj.apiVersion !== "iam.openfaas.com/v1") continue;
        const schema = toStructural(referenceCrdSchema(files[obj.kind as keyof typeof files]), {});
        expect(validateStructure(obj, schema), `${file} ${obj.kind}/${obj.metadata?.name}`).toEqual([]);
        checked.push(`${obj.kind}/${obj.metadata?.name}`);
      }
    }
    expect(checked.length).toBeGreaterThan(3);
  });
});
