/**
 * One token exchange writes a bounded number of audit lines (issue 21, finding 2): an `audience`
 * repeated 2,000 times once wrote 2,101 lines, and a caller allowed only `Function:Invoke` pushed an
 * admin line out of every rotated file in seconds. Requests against a running sandbox, as
 * ci:deployer (the shipped caller: Function:Invoke on two functions, nothing else).
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_AUDIENCES } from "../../sandbox/src/iam/token-exchange.js";
import { startSandbox } from "../../sandbox/src/index.js";
import type { Sandbox } from "../../sandbox/src/types.js";
import { repoRoot } from "../functions/support/repo.js";
import { accessTokenFor, claimsOf, exchange, GRANT, ID_TOKEN } from "./helpers.js";

let sandbox: Sandbox;
let access: string;

beforeAll(async () => {
  sandbox = await startSandbox({ root: repoRoot, stackFile: null, runFunctions: false });
  access = await accessTokenFor(sandbox.url, await sandbox.issuer.mint({ namespace: "ci", serviceAccount: "deployer" }));
});
afterAll(async () => {
  await sandbox?.stop();
});

/** The audit lines written while `act` ran (each line is written before its answer is sent). */
async function linesWrittenBy(act: () => Promise<unknown>): Promise<string[]> {
  const before = (await readFile(sandbox.auditLog, "utf8")).length;
  await act();
  return (await readFile(sandbox.auditLog, "utf8")).slice(before).split("\n").filter(Boolean);
}

/** A function-token exchange naming `audiences` (in this order, repeats included). */
function functionToken(audiences: string[]) {
  const form = new URLSearchParams({ grant_type: GRANT, subject_token_type: ID_TOKEN, subject_token: access, scope: "function" });
  for (const audience of audiences) form.append("audience", audience);
  return exchange(sandbox.url, form);
}

describe("a token exchange's audit lines are bounded", () => {
  it("2,000 repeats of one audience count once: a token for it alone, two audit lines", async () => {
    let r: Awaited<ReturnType<typeof functionToken>> | undefined;
    const lines = await linesWrittenBy(async () => (r = await functionToken(Array(2000).fill("openfaas-fn:ns-admin"))));
    expect(r!.status, r!.text).toBe(200);
    expect(claimsOf(String(r!.body["access_token"]))["function"]).toEqual({ permissions: ["openfaas-fn:ns-admin"], audience: ["openfaas-fn:ns-admin"] });
    expect(lines).toHaveLength(2);
  });

  it(`more than ${MAX_AUDIENCES} distinct audiences: 400 invalid_request before any decision, no audit line`, async () => {
    const names = Array.from({ length: MAX_AUDIENCES + 1 }, (_, i) => `openfaas-fn:f${i}`);
    let r: Awaited<ReturnType<typeof functionToken>> | undefined;
    const lines = await linesWrittenBy(async () => (r = await functionToken(names)));
    expect(r!.status).toBe(400);
    expect(r!.body).toEqual({ error: "invalid_request", error_description: `a request may name at most ${MAX_AUDIENCES} distinct audiences (got ${MAX_AUDIENCES + 1})` });
    expect(lines).toEqual([]);
  });

  it(`${MAX_AUDIENCES} audiences, two allowed then one denied: four lines, each under 1 KiB`, async () => {
    const names = ["openfaas-fn:ns-admin", "openfaas-fn:tenant-provisioner", ...Array.from({ length: MAX_AUDIENCES - 2 }, (_, i) => `${"n".repeat(63)}:${"f".repeat(62)}${i}`)];
    let r: Awaited<ReturnType<typeof functionToken>> | undefined;
    const lines = await linesWrittenBy(async () => (r = await functionToken(names)));
    expect(r!.status).toBe(400);
    expect(r!.body["error"]).toBe("invalid_target");
    // Two allowed Function:Invoke decisions, the denied one, the refused exchange: the rest is never decided.
    expect(lines.map((l) => JSON.parse(l) as { action: string; allowed: boolean }).map((l) => `${l.action} ${l.allowed}`)).toEqual([
      "Function:Invoke true",
      "Function:Invoke true",
      "Function:Invoke false",
      "Token:Exchange false",
    ]);
    for (const line of lines) expect(Buffer.byteLength(line)).toBeLessThan(1024);
  });

  it("an audience longer than a Kubernetes name is refused with one line that does not carry it", async () => {
    const long = `openfaas-fn:${"a".repeat(60_000)}`;
    let r: Awaited<ReturnType<typeof functionToken>> | undefined;
    const lines = await linesWrittenBy(async () => (r = await functionToken([long])));
    expect(r!.status).toBe(400);
    expect(r!.body["error"]).toBe("invalid_target");
    expect(lines).toHaveLength(1);
    expect(Buffer.byteLength(lines[0]!)).toBeLessThan(1024);
  });
});
