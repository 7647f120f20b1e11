/**
 * Stands in for `@node-ts-iam/sandbox` while e2e tests run to leave evidence
 * (`test/policy/evidence.config.ts` aliases the package to this file). Every sandbox they start
 * is the real one, with two changes driven by the environment:
 * - `POLICY_EVIDENCE_DIR`: a sandbox started without a state folder gets a fresh one under it
 *   instead of a temporary folder removed on stop, so its audit log outlives the test;
 * - `POLICY_EVIDENCE_MANIFESTS`: a folder of IAM manifests loaded instead of `functions/*\/iam`
 *   (to run the same tests with suggested Policies in place of the shipped ones).
 */
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { startSandbox as startRealSandbox, type Sandbox, type SandboxOptions } from "../../../sandbox/dist/index.js";

export * from "../../../sandbox/dist/index.js";

/** `startSandbox` of the package, keeping the state folder and swapping the manifests as configured. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const evidence = process.env["POLICY_EVIDENCE_DIR"];
  const manifests = process.env["POLICY_EVIDENCE_MANIFESTS"];
  if (!evidence) throw new Error("POLICY_EVIDENCE_DIR is not set: run these tests through test/policy/evidence.config.ts");
  return startRealSandbox({
    ...options,
    stateDir: options.stateDir ?? mkdtempSync(join(evidence, "sandbox-")),
    ...(manifests ? { functionManifests: false, manifestPaths: [manifests, ...(options.manifestPaths ?? [])] } : {}),
  });
}
