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

// The real faas-cli and of-watchdog (test peers, never copied) live beside the reference; OPENFAAS_PEERS_DIR overrides.
const peersDir = resolve(process.env.OPENFAAS_PEERS_DIR ?? resolve(import.meta.dirname, "../shared/peers"));
for (const binary of ["faas-cli", "of-watchdog"]) {
  if (!existsSync(resolve(peersDir, binary))) {
    throw new Error(`conformance: ${binary} not found in ${peersDir}. Place shared/peers beside the checkout or set OPENFAAS_PEERS_DIR.`);
  }
}
process.env.OPENFAAS_PEERS_DIR = peersDir;

export default defineConfig({
  test: {
    include: ["test/conformance/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
