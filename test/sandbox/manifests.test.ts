import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadManifests, ManifestError, parseDuration } from "../../sandbox/src/iam/manifest-loader.js";
import { FIXTURE_ROOT, startFixtureSandbox } from "./helpers.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sandbox-manifests-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function manifest(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

const policyDoc = (statement: string) => `apiVersion: iam.openfaas.com/v1\nkind: Policy\nmetadata:\n  name: p\n  namespace: openfaas\nspec:\n  statement:\n${statement}`;

describe("manifest loading", () => {
  it("loads the fixture's IAM objects and skips other kinds with a warning", async () => {
    const warnings: string[] = [];
    const m = await loadManifests([join(FIXTURE_ROOT, "functions", "whoami", "iam")], (w) => warnings.push(w));
    expect(m.policies.map((p) => p.name)).toEqual(["dev-reader"]);
    expect(m.roles.map((r) => r.name)).toEqual(["whoami"]);
    expect(m.serviceAccounts).toEqual([expect.objectContaining({ name: "whoami", namespace: "dev" })]);
    expect(warnings.join("\n")).toMatch(/ignoring kyverno.io\/v1 ClusterPolicy "add-openfaas-token"/);
  });

  it.each([
    ["missing sid", policyDoc("    - effect: Allow\n      action: [Function:List]\n      resource: ['*']\n"), "spec.statement[0].sid", "is required"],
    ["action not a list", policyDoc("    - sid: a\n      effect: Allow\n      action: Function:List\n      resource: ['*']\n"), "spec.statement[0].action", "must be an array"],
    ["effect Deny", policyDoc("    - sid: a\n      effect: Deny\n      action: [Function:List]\n      resource: ['*']\n"), "spec.statement[0].effect", 'only "Allow"'],
    ["an action the gateway never checks", policyDoc("    - sid: a\n      effect: Allow\n      action: [Function:List, Function:Read]\n      resource: ['*']\n"), "spec.statement[0].action[1]", "matches no action"],
    ["a resource without a namespace", policyDoc("    - sid: a\n      effect: Allow\n      action: [Function:List]\n      resource: [dev]\n"), "spec.statement[0].resource[0]", "is not a resource"],
    ["unknown operator", policyDoc("    - sid: a\n      effect: Allow\n      action: [Function:List]\n      resource: ['*']\n      condition:\n        StringNotEqual:\n          jwt:sub: [x]\n"), 'spec.statement[0].condition["StringNotEqual"]', "unknown operator"],
    ["condition values not strings", policyDoc("    - sid: a\n      effect: Allow\n      action: [Function:List]\n      resource: ['*']\n      condition:\n        StringEqual:\n          jwt:sub: [1]\n"), 'spec.statement[0].condition["StringEqual"]["jwt:sub"][0]', "must be a string"],
    ["policy without spec", "apiVersion: iam.openfaas.com/v1\nkind: Policy\nmetadata: {name: p}\n", "spec", "is required"],
    ["issuer without aud", "apiVersion: iam.openfaas.com/v1\nkind: JwtIssuer\nmetadata: {name: i}\nspec: {iss: https://x}\n", "spec.aud", "is required"],
    ["issuer with a bad tokenExpiry", "apiVersion: iam.openfaas.com/v1\nkind: JwtIssuer\nmetadata: {name: i}\nspec: {iss: https://x, aud: [a], tokenExpiry: soon}\n", "spec.tokenExpiry", "not a duration"],
    ["role with another principal key", "apiVersion: iam.openfaas.com/v1\nkind: Role\nmetadata: {name: r}\nspec: {policy: [p], principal: {'jwt:email': [a]}}\n", 'spec.principal["jwt:email"]', "only \"jwt:sub\""],
    ["role with an empty principal list", "apiVersion: iam.openfaas.com/v1\nkind: Role\nmetadata: {name: r}\nspec: {policy: [p], principal: {'jwt:sub': []}}\n", 'spec.principal["jwt:sub"]', "at least one subject"],
    ["condition with no values", policyDoc("    - sid: a\n      effect: Allow\n      action: [Function:List]\n      resource: ['*']\n      condition:\n        StringEqual:\n          jwt:sub: []\n"), 'spec.statement[0].condition["StringEqual"]["jwt:sub"]', "at least one value"],
    ["role matching nobody", "apiVersion: iam.openfaas.com/v1\nkind: Role\nmetadata: {name: r}\nspec: {policy: [p]}\n", "spec", "matches nobody"],
    ["unknown IAM kind", "apiVersion: iam.openfaas.com/v1\nkind: Group\nmetadata: {name: g}\n", "apiVersion/kind", "unknown IAM kind"],
    ["bad name", "apiVersion: iam.openfaas.com/v1\nkind: Role\nmetadata: {name: Bad_Name}\nspec: {principal: {'jwt:sub': [a]}}\n", "metadata.name", "DNS-1123"],
    ["not YAML", "apiVersion: [unclosed\n", "-", "invalid YAML"],
  ])("refuses %s, naming file, object and field", async (name, text, field, problem) => {
    const file = await manifest(`${name.replace(/\W+/g, "-")}.yaml`, text);
    const err = await loadManifests([file]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    const e = err as ManifestError;
    expect(e.file).toBe(file);
    expect(e.field).toBe(field);
    expect(e.problem).toContain(problem);
    expect(e.message).toContain(file);
  });

  it("refuses duplicate objects", async () => {
    const doc = "apiVersion: iam.openfaas.com/v1\nkind: Role\nmetadata: {name: r}\nspec: {principal: {'jwt:sub': [a]}}\n";
    const file = await manifest("dup.yaml", `${doc}---\n${doc}`);
    await expect(loadManifests([file])).rejects.toThrow(/duplicate Role "r"/);
  });

  it("loads manifest texts (the connectors' rendered objects) after the files, held to the same rules and named by their file", async () => {
    const role = (name: string) => `apiVersion: iam.openfaas.com/v1\nkind: Role\nmetadata: {name: ${name}}\nspec: {principal: {'jwt:sub': [a]}}\n`;
    const file = await manifest("first.yaml", role("r"));
    const m = await loadManifests([file], () => {}, [{ file: "rendered.yaml", text: role("s") }]);
    expect(m.roles.map((r) => [r.name, r.source])).toEqual([
      ["r", `${file}#1`],
      ["s", "rendered.yaml#1"],
    ]);
    await expect(loadManifests([file], () => {}, [{ file: "rendered.yaml", text: role("r") }])).rejects.toThrow(`rendered.yaml: Role/r (document 1): metadata.name: duplicate Role "r" (first defined in ${file}#1)`);
  });

  it("stops sandbox start-up on an invalid manifest", async () => {
    const file = await manifest("broken.yaml", policyDoc("    - sid: a\n      effect: Allow\n      action: [Function:List]\n"));
    await expect(startFixtureSandbox({ manifestPaths: [file] })).rejects.toThrow(/broken\.yaml: Policy\/p \(document 1\): spec\.statement\[0\]\.resource: is required/);
  });

  it.each([
    ["2h", 7200],
    ["30m", 1800],
    ["1h30m", 5400],
    ["90s", 90],
    ["1.5h", 5400],
    ["", undefined],
    ["2 hours", undefined],
    ["0s", undefined],
  ])("parses tokenExpiry %j", (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });
});
