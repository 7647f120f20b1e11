/**
 * The sandbox README's walkthrough, run as written (bash, from the repository folder) against a fresh
 * sandbox with the repository's functions: only SANDBOX_PORT and SANDBOX_STATE_DIR differ from
 * `npm start`'s defaults, as the walkthrough's first lines allow. Each step answers as its comment says,
 * the audit trail's last three lines included. Cost: one sandbox with the three samples, about 5 s.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox } from "../../sandbox/src/index.js";
import type { Sandbox } from "../../sandbox/src/types.js";
import { runCommand } from "./helpers.js";

const REPO = resolve(import.meta.dirname, "../..");
const README = join(REPO, "sandbox/README.md");

/** The shell block that follows `<!-- walkthrough:<name> -->` in the sandbox README. */
function readmeBlock(name: string): string {
  const text = readFileSync(README, "utf8");
  const after = text.split(`<!-- walkthrough:${name} -->`)[1];
  const block = after === undefined ? undefined : /^\s*```sh\n([\s\S]*?)\n```/.exec(after)?.[1];
  if (block === undefined) throw new Error(`${README}: no sh block after <!-- walkthrough:${name} -->`);
  return block;
}

describe("the sandbox README's walkthrough, as written", () => {
  let sandbox: Sandbox;
  let stateDir: string;
  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "sandbox-walkthrough-"));
    sandbox = await startSandbox({ root: REPO, port: 0, stateDir, runFunctions: true });
  }, 120_000);
  afterAll(async () => {
    await sandbox?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("exchanges, is refused, provisions a tenant through the watchdog, and leaves the trail the comments describe", async () => {
    const script = readmeBlock("sandbox");
    const env = { ...process.env, SANDBOX_PORT: new URL(sandbox.url).port, SANDBOX_STATE_DIR: stateDir };
    const r = await runCommand("bash", ["-e", "-o", "pipefail", "-c", script], env);
    expect(r.code, r.stderr).toBe(0);
    const [namespaces, refusal, provisioned, functions, ...trail] = r.stdout.trim().split("\n");
    // 1. Its own token lists only tenant-* namespaces: none yet.
    expect(namespaces).toBe("[]");
    // 2. The refusal, word for word as the README shows it.
    expect(script).toContain(`#   ${refusal}`);
    // 3. The tenant, through the watchdog with the caller's function token.
    expect(JSON.parse(provisioned!)).toMatchObject({ tenant: "hooli", namespace: "tenant-hooli", complete: true });
    // 4. The admin sees the starter function; the audit log's last three decisions are the ones described.
    expect((JSON.parse(functions!) as { name: string; namespace: string }[]).map((f) => `${f.namespace}/${f.name}`)).toEqual(["tenant-hooli/hello"]);
    const decisions = trail.map((line) => JSON.parse(line) as { subject: string; action: string; resource: string; allowed: boolean; reason: string });
    expect(decisions.map((d) => [d.subject, d.action, d.resource, d.allowed])).toEqual([
      ["fed:system:serviceaccount:openfaas-fn:tenant-provisioner", "Function:List", "tenant-hooli:*", true],
      ["fed:system:serviceaccount:openfaas-fn:tenant-provisioner", "Function:Create", "tenant-hooli:hello", true],
      ["admin", "Function:List", "tenant-hooli:*", true],
    ]);
    const last = decisions[2]!;
    expect(script).toContain(`"subject":"${last.subject}","action":"${last.action}","resource":"${last.resource}","allowed":true,"reason":"${last.reason}"`);
  });
});
