/**
 * Every Kyverno object in functions/cluster/ (as shipped, and as `npm run cluster:render` writes it)
 * against the project's schemas for Kyverno's ClusterPolicy and MutatingPolicy (written from
 * functions/cluster/kyverno-sources.md), plus the rules those schemas cannot say: CREATE only, one
 * expression per mutation of the kind its patchType names, and the minimum Kyverno version each
 * policy declares.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { renderTemplate } from "../../functions/cluster/src/render.js";
import { readManifests, repoRoot, type Manifest } from "../functions/support/repo.js";
import { validate } from "../functions/support/schema.js";
import { KYVERNO_KINDS, kyvernoSchemas } from "./support/kyverno-schema.js";

const clusterDir = join(repoRoot, "functions", "cluster");
const isKyverno = (m: { apiVersion: string }): boolean => /^(kyverno\.io|policies\.kyverno\.io)\//.test(m.apiVersion);
const strip = ({ file: _file, ...object }: Manifest): Record<string, unknown> => object;

const templates = readManifests(clusterDir).filter(isKyverno);
const rendered = templates.map((m) => {
  const file = m.file.slice(repoRoot.length + 1);
  const text = renderTemplate(file, readFileSync(m.file, "utf8"), { GATEWAY_URL: "https://openfaas.acme-corp.io:8443" });
  return { ...(parseAllDocuments(text)[0]!.toJS() as Manifest), file: `${m.file} (rendered)` };
});
const label = (m: Manifest): string => `${m.kind} ${m.metadata.name} (${m.file.slice(repoRoot.length + 1)})`;

type Spec = Record<string, unknown>;
const clusterPolicyRules = (m: Manifest) => (m.spec as { rules: { match: { any: { resources: { operations?: string[] } }[] } }[] }).rules;
const mutatingPolicySpec = (m: Manifest) =>
  m.spec as { matchConstraints: { resourceRules: { operations: string[] }[] }; mutations: ({ patchType: string } & Spec)[] };

describe("Kyverno objects of functions/cluster against our Kyverno schemas", () => {
  it("are one ClusterPolicy and one MutatingPolicy", () => {
    expect(templates.map((m) => `${m.apiVersion} ${m.kind}`).sort()).toEqual(["kyverno.io/v1 ClusterPolicy", "policies.kyverno.io/v1 MutatingPolicy"]);
  });

  it.each([...templates, ...rendered].map((m) => [label(m), m] as const))("%s validates", (_label, m) => {
    const schema = kyvernoSchemas[m.kind as keyof typeof KYVERNO_KINDS];
    expect(schema, `no schema for ${m.kind}`).toBeDefined();
    expect(validate(schema, strip(m))).toEqual([]);
  });

  it.each(templates.map((m) => [label(m), m] as const))("%s declares the Kyverno release that first serves its kind", (_label, m) => {
    const kind = KYVERNO_KINDS[m.kind as keyof typeof KYVERNO_KINDS];
    expect(m.apiVersion).toBe(kind.apiVersion);
    expect((m.metadata["annotations"] as Record<string, string>)["policies.kyverno.io/minversion"]).toBe(kind.since);
  });

  it("both mutate on CREATE only (Kyverno's default also mutates on UPDATE, which a pod's volumes cannot take)", () => {
    const cluster = templates.find((m) => m.kind === "ClusterPolicy")!;
    for (const rule of clusterPolicyRules(cluster)) for (const filter of rule.match.any) expect(filter.resources.operations).toEqual(["CREATE"]);
    const mutating = templates.find((m) => m.kind === "MutatingPolicy")!;
    for (const rule of mutatingPolicySpec(mutating).matchConstraints.resourceRules) expect(rule.operations).toEqual(["CREATE"]);
  });

  it("every MutatingPolicy mutation carries exactly the expression its patchType names", () => {
    const member: Record<string, string> = { JSONPatch: "jsonPatch", ApplyConfiguration: "applyConfiguration" };
    for (const mutation of mutatingPolicySpec(templates.find((m) => m.kind === "MutatingPolicy")!).mutations) {
      const { patchType, ...rest } = mutation;
      expect(Object.keys(rest)).toEqual([member[patchType]]);
    }
  });

  it("the schemas refuse what Kyverno would not take", () => {
    const cluster = strip(templates.find((m) => m.kind === "ClusterPolicy")!);
    const mutating = strip(templates.find((m) => m.kind === "MutatingPolicy")!);
    const broken = (object: Record<string, unknown>, change: (o: any) => void): Record<string, unknown> => {
      const copy = structuredClone(object);
      change(copy);
      return copy;
    };
    expect(validate(kyvernoSchemas.ClusterPolicy, broken(cluster, (o) => (o.spec.rules[0].match.any[0].resources.operations = ["UPSERT"])))).toEqual([
      expect.stringContaining('"UPSERT" is not one of'),
    ]);
    expect(validate(kyvernoSchemas.ClusterPolicy, broken(cluster, (o) => (o.spec.rules[0].match.any[0].resources.operation = ["CREATE"])))).toEqual([
      expect.stringContaining("resources.operation: unknown field"),
    ]);
    expect(validate(kyvernoSchemas.ClusterPolicy, broken(cluster, (o) => (o.apiVersion = "kyverno.io/v2beta1")))).toHaveLength(1);
    expect(validate(kyvernoSchemas.MutatingPolicy, broken(mutating, (o) => (o.spec.mutations[0].patchType = "StrategicMerge")))).toEqual([
      expect.stringContaining('"StrategicMerge" is not one of'),
    ]);
    expect(validate(kyvernoSchemas.MutatingPolicy, broken(mutating, (o) => delete o.spec.matchConstraints))).toEqual([expect.stringContaining('missing required "matchConstraints"')]);
    expect(validate(kyvernoSchemas.MutatingPolicy, broken(mutating, (o) => (o.spec.matchConditions[0].expression = true)))).toEqual([
      expect.stringContaining("expected string"),
    ]);
    expect(validate(kyvernoSchemas.MutatingPolicy, broken(mutating, (o) => (o.metadata.namespace = "openfaas")))).toEqual([
      expect.stringContaining("metadata.namespace: unknown field"),
    ]);
  });
});
