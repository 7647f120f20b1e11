/**
 * Every IAM object `policy explain` and `policy lint` read validates against the openAPIV3Schema of
 * the reference CRDs (faas-netes chart): the project's, as `npm start` loads them (functions/*\/iam,
 * each stack function's <handler>/iam, the connectors of connectors/cron-connector/sandbox.yaml as
 * the sandbox renders them), the seeded generated objects of the explain property test
 * (test/policy/explain-equivalence.test.ts), and the passing cases of every lint rule.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { expandManifestPaths } from "../../sandbox/src/iam/manifest-loader.js";
import { loadStackIfAny, projectManifestSources } from "../../sandbox/src/policy/identity.js";
import { findStackFile } from "../../sandbox/src/project.js";
import { validateStructure } from "../../sandbox/src/schema/structural-schema.js";
import { EXPLAIN_SEED, generatedManifests, Random } from "../policy/support/generated-iam.js";
import { LINT_CASES } from "../policy/support/lint-cases.js";
import { referenceCrdSchema, toStructural } from "./sandbox-reference.js";

const REPO = resolve(import.meta.dirname, "../..");
const CRD_FILES: Record<string, string> = { JwtIssuer: "iam.openfaas.com_jwtissuers.yaml", Policy: "iam.openfaas.com_policies.yaml", Role: "iam.openfaas.com_roles.yaml" };
const schemas = Object.fromEntries(Object.entries(CRD_FILES).map(([kind, file]) => [kind, toStructural(referenceCrdSchema(file), {})]));

type Doc = { apiVersion?: string; kind?: string; metadata?: { name?: string } };
/** The iam.openfaas.com documents of a text, labelled with where they come from. */
function iamDocuments(label: string, text: string): [string, Doc][] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null && d.apiVersion === "iam.openfaas.com/v1")
    .map((d) => [`${label}: ${d.kind} ${d.metadata?.name}`, d]);
}

const stack = await loadStackIfAny(findStackFile(REPO)!);
const sources = await projectManifestSources(REPO, stack, []);
const project = [
  ...(await Promise.all((await expandManifestPaths(sources.paths)).map(async (file) => iamDocuments(file.slice(REPO.length + 1), await readFile(file, "utf8"))))).flat(),
  ...sources.texts.flatMap((t) => iamDocuments(t.file, t.text)),
];
const generated = iamDocuments(`generated (seed ${EXPLAIN_SEED})`, generatedManifests(new Random(EXPLAIN_SEED), { idp: "http://127.0.0.1:1", clusterAlt: "http://127.0.0.1:2" }));
const lintPassing = LINT_CASES.flatMap((c, i) => iamDocuments(`lint ${c.rule} #${i} passing`, c.passing));

describe("the IAM objects explain and lint read, against the reference CRDs", () => {
  it("found the project's (with the connectors' rendered ones), the generated ones and the lint cases", () => {
    expect(project.map(([label]) => label)).toEqual(expect.arrayContaining([expect.stringMatching(/^functions\/ns-admin\/iam\/role\.yaml: Role ns-admin$/), expect.stringMatching(/\(rendered\): Policy cron-connector$/)]));
    expect(generated.length).toBeGreaterThanOrEqual(30);
    expect(lintPassing.length).toBeGreaterThan(LINT_CASES.length);
  });

  it.each([...project, ...generated, ...lintPassing])("%s", (_label, doc) => {
    expect(validateStructure(doc, schemas[doc.kind!]!)).toEqual([]);
  });

  it("the reference schema catches what lint calls issuer-without-audience", () => {
    const issuer = { apiVersion: "iam.openfaas.com/v1", kind: "JwtIssuer", metadata: { name: "idp" }, spec: { iss: "https://idp.example.com" } };
    expect(validateStructure(issuer, schemas["JwtIssuer"]!).map((v) => v.path)).toEqual(["spec.aud"]);
  });
});
