/**
 * Runs the e2e tests named by `trail` in samples.check.yaml with their sandboxes' audit logs kept
 * (see support/evidence-sandbox.ts): `POLICY_EVIDENCE_DIR` must be set; `POLICY_EVIDENCE_MANIFESTS`
 * optionally swaps the IAM manifests. Started by test/policy/samples.test.ts as a child process.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";
import { defineConfig } from "vitest/config";

const here = import.meta.dirname;
const { trail } = parse(readFileSync(resolve(here, "samples.check.yaml"), "utf8")) as { trail: string[] };

export default defineConfig({
  root: resolve(here, "../.."),
  resolve: { alias: [{ find: /^@node-ts-iam\/sandbox$/, replacement: resolve(here, "support/evidence-sandbox.ts") }] },
  test: {
    include: trail,
    exclude: ["**/node_modules/**", "**/dist/**"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 10_000,
  },
});
