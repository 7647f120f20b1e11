import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { defineConfig } from "vitest/config";

// The reference copies live beside the checkout (../shared/reference); OPENFAAS_REFERENCE_DIR overrides.
const referenceDir = resolve(process.env.OPENFAAS_REFERENCE_DIR ?? resolve(import.meta.dirname, "../shared/reference"));
if (!existsSync(resolve(referenceDir, "openfaas-gateway.openapi.yml"))) {
  throw new Error(
    `conformance: reference material not found at ${referenceDir}. ` +
      "Place shared/reference beside the checkout or set OPENFAAS_REFERENCE_DIR.",
  );
}
process.env.OPENFAAS_REFERENCE_DIR = referenceDir;

export default defineConfig({
  test: {
    include: ["test/conformance/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
