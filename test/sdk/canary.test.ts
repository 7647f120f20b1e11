/**
 * Canary tokens of real size never leak: every error path is forced while the servers echo the
 * credential they received (whole, prefix, middle, suffix, percent-encoded, JSON-escaped); no run
 * of any canary may appear in any error (message, stack, cause chain, properties, JSON.stringify,
 * util.inspect), in the handler kit's answer to it, in a hook context, an inspected SDK object, or
 * console/stderr output. canary-redaction-off.test.ts runs the same scenarios without redaction.
 */
import { describe, expect, it } from "vitest";
import { runCanaries } from "./canary-scenarios.js";

describe("canary tokens of real size never leak", () => {
  it("through every forced error path, in every echoed form, hooks, inspected objects or console output", async () => {
    const run = await runCanaries();
    // Real sizes: Kubernetes projected tokens and gateway access tokens are 900-1,300 characters.
    expect(run.sizes.serviceAccount).toBeGreaterThanOrEqual(1_200);
    expect(run.sizes.serviceAccount).toBeLessThanOrEqual(1_300);
    expect(run.sizes.access.length).toBeGreaterThan(100);
    expect(Math.min(...run.sizes.access, ...run.sizes.function)).toBeGreaterThanOrEqual(900);
    expect(run.sizes.function.length).toBeGreaterThan(10);
    // Each path really was forced, with the expected typed error.
    expect(run.results.map((r) => [r.name, r.code])).toEqual(run.results.map((r) => [r.name, r.expected]));
    expect(run.results.filter((r) => r.echoes).length).toBeGreaterThanOrEqual(300);
    expect(run.results.filter((r) => r.leaks.length > 0)).toEqual([]);
    expect(run.hookRecords).toBeGreaterThan(run.results.length);
    expect(run.hookLeaks).toEqual([]);
    expect(run.objectLeaks).toEqual([]);
    expect(run.outputLeaks).toEqual([]);
    // The echoing servers did receive the secrets, so a leak would have been caught.
    expect(run.serverSawSecrets).toBe(true);
  });
});
