/**
 * The real faas-cli 0.18.12 invoking the jwt_auth samples in the sandbox. Read from its source
 * (commands/invoke.go, commands/general.go, vendored go-sdk functions.go and exchange.go): with
 * `--auth` it takes the token of the `oauth2` entry for the gateway in its config
 * (`$OPENFAAS_CONFIG/config.yml`, else `$HOME/.openfaas/config.yml`), exchanges that token at
 * `<gateway>/oauth/token` (`subject_token_type` id_token, `scope=function`,
 * `audience=<namespace>:<name>`) and sends the function token it gets; without `--auth`, a 401 whose
 * realm is `IAM function invoke` makes it retry once with `--auth`. The same stored token is its
 * Bearer for `/system/` calls. The README's faas-cli block runs here as written.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { README_GATEWAY, walkthroughBlock } from "../functions/support/readme.js";
import { repoRoot } from "../functions/support/repo.js";
import { startFunctionsSandbox, type FunctionsSandbox } from "../functions/support/sandbox.js";
import { faasCli, PEERS_DIR, peerEnv, type CliResult } from "./support/peers.js";

let env: FunctionsSandbox;
let scratch: string;

beforeAll(async () => {
  env = await startFunctionsSandbox();
  scratch = await mkdtemp(join(tmpdir(), "faas-cli-invoke-jwt-"));
}, 120_000);
afterAll(async () => {
  await env?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A HOME whose faas-cli config holds `token` as the oauth2 credential for the sandbox (or no config). */
async function homeWith(token: string | undefined): Promise<string> {
  const home = await mkdtemp(join(scratch, "home-"));
  if (token !== undefined) {
    await mkdir(join(home, ".openfaas"), { mode: 0o700 });
    await writeFile(join(home, ".openfaas", "config.yml"), `auths:\n- gateway: ${env.sandbox.url}\n  auth: oauth2\n  token: ${token}\n`, { mode: 0o600 });
  }
  return home;
}

const invoke = (home: string, args: string[]): Promise<CliResult> => faasCli(["invoke", "-g", env.sandbox.url, ...args], { home, stdin: "" });

describe("faas-cli invoke --auth against jwt_auth functions", () => {
  it("runs the README's faas-cli block as written", async () => {
    const tmp = await mkdtemp(join(scratch, "readme-"));
    const script = `set -e -o pipefail\n${walkthroughBlock("caller-faas-cli").replaceAll(README_GATEWAY, env.sandbox.url)}\n`;
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolveRun) => {
      execFile("bash", ["-c", script], {
        cwd: repoRoot,
        // faas-cli from the peers; mktemp -d below the test's own folder; the sandbox's state directory for npm run token.
        env: peerEnv({ PATH: `${PEERS_DIR}:${process.env["PATH"] ?? ""}`, TMPDIR: tmp, HOME: tmp, SANDBOX_STATE_DIR: dirname(env.sandbox.adminCredentialFile) }),
        timeout: 120_000,
      }, (error, stdout, stderr) => resolveRun({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    });
    expect(r.code, r.stderr).toBe(0);
    // faas-cli prints its errors on stdout.
    const [answer, refusal, ...rest] = r.stdout.trim().split("\n");
    expect(JSON.parse(answer!)).toMatchObject({ service: "ns-admin", scope: ["dev"] });
    expect(refusal).toMatch(/^Failed to invoke function: failed to get function access token: invalid_target: subject may not invoke openfaas-fn:preview-janitor/);
    expect(rest).toEqual([]);
    expect(r.stderr).toContain("Function submitted asynchronously.");
    await env.waitForAudit((e) => e.action === "Token:Exchange" && e.allowed && e.resource === "scope:function" && e.subject === "fed:system:serviceaccount:ci:deployer");
  });

  it("exchanges the stored access token for a function token and sends only that (the watchdog refuses an access token with 403)", async () => {
    const access = await (await env.callerAuth("ci/deployer")).token();
    const home = await homeWith(access);
    const r = await invoke(home, ["ns-admin", "--auth", "-m", "GET"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ service: "ns-admin" });
    // Sent as is, the stored token is refused by the function's watchdog.
    const direct = await env.invoke("ns-admin", "GET", "/", undefined, { authorization: `Bearer ${access}` });
    expect(direct.status).toBe(403);
  });

  it("retries with a function token by itself when the 401 names the realm IAM function invoke (no --auth)", async () => {
    const home = await homeWith(await (await env.callerAuth("ci/deployer")).token());
    const r = await invoke(home, ["tenant-provisioner", "-m", "GET"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ service: "tenant-provisioner" });
  });

  it("works with a stored service account token too: the gateway exchanges it straight for a function token", async () => {
    const sa = await env.sandbox.issuer.mint({ namespace: "ci", serviceAccount: "deployer", audience: env.sandbox.url });
    const r = await invoke(await homeWith(sa), ["ns-admin", "--auth", "-m", "GET"]);
    expect(r.code, r.stderr).toBe(0);
  });

  it("without a config, --auth has no token to exchange: the watchdog's 401 is the error", async () => {
    const r = await invoke(await homeWith(undefined), ["ns-admin", "--auth", "-m", "GET"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain("Server returned unexpected status code: 401 - Bearer must be present in Authorization header");
  });

  it("a caller the Policy does not name gets no function token: faas-cli says so and never reaches the function", async () => {
    const other = await env.sandbox.issuer.mint({ namespace: "openfaas-fn", serviceAccount: "preview-janitor", audience: env.sandbox.url });
    const r = await invoke(await homeWith(other), ["ns-admin", "--auth", "-m", "GET"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/^Failed to invoke function: failed to get function access token: invalid_target: /);
  });

  it("the same oauth2 token is the API credential, and ci:deployer may not list functions (403)", async () => {
    const home = await homeWith(await (await env.callerAuth("ci/deployer")).token());
    const r = await faasCli(["list", "-g", env.sandbox.url], { home });
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/forbidden|403/i);
  });
});
