/**
 * `npm run policy -- suggest` prints YAML valid against the reference IAM CRDs: the Policy and the
 * Role suggested from a real sandbox's audit log (the fixture function `whoami`, exact and with
 * resources widened), each validated against the reference `openAPIV3Schema`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { main } from "../../sandbox/src/policy/policy-cli.js";
import { validateStructure } from "../../sandbox/src/schema/structural-schema.js";
import type { Sandbox } from "../../sandbox/src/types.js";
import { accessTokenFor, bearer, FIXTURE_ROOT, startFixtureSandbox } from "../sandbox/helpers.js";
import { referenceCrdSchema, toStructural } from "./sandbox-reference.js";

const CRD_FILES = { Policy: "iam.openfaas.com_policies.yaml", Role: "iam.openfaas.com_roles.yaml" } as const;

let stateDir: string;
let sandbox: Sandbox | undefined;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "policy-crds-"));
  sandbox = await startFixtureSandbox({ stateDir });
  const token = await accessTokenFor(sandbox.url, await sandbox.issuer.mint({ namespace: "dev", serviceAccount: "whoami" }));
  for (const path of ["/system/functions?namespace=dev", "/system/function/a?namespace=dev", "/system/function/b?namespace=dev", "/system/namespaces", "/system/info"]) {
    await (await fetch(`${sandbox.url}${path}`, { headers: { authorization: bearer(token) } })).arrayBuffer();
  }
  await sandbox.stop();
});
afterAll(async () => {
  await sandbox?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe("suggest against the reference CRDs", () => {
  it.each([[[]], [["--generalise-functions"]], [["--include-denied"]]])("suggest whoami %j: every document validates", async (flags) => {
    let yaml = "";
    let errors = "";
    const code = await main(["suggest", "whoami", "--root", FIXTURE_ROOT, "--audit", stateDir, ...flags], (t) => (yaml += t), (t) => (errors += t));
    expect(code, errors).toBe(0);
    const docs = parseAllDocuments(yaml).map((d) => d.toJS() as { apiVersion: string; kind: keyof typeof CRD_FILES; metadata: { name: string } });
    expect(docs.map((d) => `${d.apiVersion} ${d.kind}`)).toEqual(["iam.openfaas.com/v1 Policy", "iam.openfaas.com/v1 Role"]);
    for (const doc of docs) {
      expect(validateStructure(doc, toStructural(referenceCrdSchema(CRD_FILES[doc.kind]), {})), `${doc.kind}/${doc.metadata.name}`).toEqual([]);
    }
  });
});
