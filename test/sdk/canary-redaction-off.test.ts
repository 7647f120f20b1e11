/**
 * The proof that canary.test.ts can fail: the same scenarios with the SDK's redaction switched off
 * (gateway text is only cut, as it was before redaction existed) leak in every path that echoes a
 * credential, for every token size and every echoed form.
 *
 * The package's entries load the SDK as one bundle (sdk/bundle.mjs), in which no module can be
 * swapped; here they load the compiled modules that bundle is made of (test/sdk/bundle-step.test.ts
 * holds it to them), with the redaction module swapped.
 */
import { describe, expect, it, vi } from "vitest";
import { runCanaries } from "./canary-scenarios.js";

vi.mock(import("@node-ts-iam/sdk"), () => import("../../template/node-ts-iam/sdk/dist/index.js"));
vi.mock(import("@node-ts-iam/sdk/kit"), () => import("../../template/node-ts-iam/sdk/dist/kit.js"));
vi.mock(import("../../template/node-ts-iam/sdk/dist/redact.js"), async (original) => {
  const real = await original();
  const cutOnly = (text: string, _redactor: unknown, max = 512): string => (text.length <= max ? text : `${text.slice(0, max)}…`);
  return { ...real, redactAndCut: cutOnly, redact: (text: string) => text };
});

describe("with redaction switched off", () => {
  it("every scenario that echoes a credential leaks it, so the canary test would fail", async () => {
    const run = await runCanaries();
    const echoing = run.results.filter((r) => r.echoes);
    expect(echoing.length).toBeGreaterThanOrEqual(300);
    expect(echoing.filter((r) => r.leaks.length === 0).map((r) => r.name)).toEqual([]);
    // Every kind of secret leaks somewhere: the tokens of every issuer, the password, the client secret.
    expect(new Set(echoing.flatMap((r) => r.leaks))).toEqual(new Set(["access token", "admin password", "client secret", "function token", "service account token"]));
  });
});
