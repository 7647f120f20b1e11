/**
 * The README's caller walkthrough, run as written against a started sandbox (the functions section):
 * the namespace set-up and the curl block in bash (`npm run -s token`, the two exchanges, the
 * refusals), then the SDK program saved and run with node. Only the gateway URL and the state
 * directory differ from `npm start`'s defaults. The faas-cli block runs in the conformance suite
 * (it needs the real faas-cli).
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { README_GATEWAY, walkthroughBlock } from "./support/readme.js";
import { repoRoot } from "./support/repo.js";
import { startFunctionsSandbox, type FunctionsSandbox } from "./support/sandbox.js";

/** Runs a program in the repository folder; resolves its exit code and output. */
function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    execFile(file, args, { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolveRun({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe("the README's caller walkthrough, as written", () => {
  let env: FunctionsSandbox;
  let stateDir: string;
  /** The walkthrough's text with this sandbox's URL and state directory. */
  const adapt = (script: string): string => script.replaceAll(README_GATEWAY, env.sandbox.url).replaceAll(".sandbox/admin-password", join(stateDir, "admin-password"));

  beforeAll(async () => {
    env = await startFunctionsSandbox();
    stateDir = dirname(env.sandbox.adminCredentialFile);
  });
  afterAll(async () => {
    await env?.stop();
  });

  it("with curl: 401 without a token, 403 with an access token, the function token works for its function only, none for the janitor", async () => {
    const script = `set -e -o pipefail\n${adapt(walkthroughBlock("setup"))}\necho ---\n${adapt(walkthroughBlock("caller-curl"))}\n`;
    const r = await run("bash", ["-c", script], { SANDBOX_STATE_DIR: stateDir });
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout.slice(r.stdout.indexOf("---\n") + 4).trim().split("\n");
    expect(out.slice(0, 4)).toEqual(["401", "403", '{"namespaces":["dev"]}', "403"]);
    expect(JSON.parse(out[4]!)).toMatchObject({ error: "invalid_target" });
    expect(out).toHaveLength(5);
    await env.waitForAudit((e) => e.action === "Token:Exchange" && e.allowed && e.subject === "fed:system:serviceaccount:ci:deployer");
  });

  it("with the SDK from a plain Node program: 200 and ns-admin's namespaces", async () => {
    // Saved inside the repository's node_modules (ignored by git), where @node-ts-iam/sdk resolves.
    const dir = await mkdtemp(join(repoRoot, "node_modules", ".walkthrough-"));
    try {
      await writeFile(join(dir, "invoke-ns-admin.mjs"), walkthroughBlock("caller-sdk"));
      const token = await run(process.execPath, ["sandbox/dist/token-cli.js", "ci/deployer"], { SANDBOX_STATE_DIR: stateDir });
      expect(token.code, token.stderr).toBe(0);
      const r = await run(process.execPath, [join(dir, "invoke-ns-admin.mjs")], { SA_TOKEN: token.stdout.trim(), OPENFAAS_URL: env.sandbox.url });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('200 {"namespaces":["dev"]}\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
