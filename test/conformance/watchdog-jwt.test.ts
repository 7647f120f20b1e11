/**
 * Function authentication, sandbox against the real thing: the real of-watchdog 0.10.1
 * (`jwt_auth=true`, `jwt_auth_local=true`) in front of the template server with the fixture
 * handler, trusting the sandbox gateway on 127.0.0.1:8000 (where the watchdog looks for its issuer's
 * discovery), and the sandbox running the same function with `jwt_auth=true`. Every case of the
 * shared table (test/sandbox/function-auth-cases.ts) goes to both with the same tokens, issued by
 * that sandbox; their statuses must be equal (and the 401 challenge, the internal marker and the 403
 * body), except where the table records a deliberate difference. Async cases: the sandbox's
 * callback status against what the watchdog answers the queue worker's call.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authCases, startAuthSandbox, TARGET, viaSandbox, type AuthAnswer, type AuthCase, type AuthSandbox } from "../sandbox/function-auth-cases.js";
import { FIXTURE_ROOT, TEMPLATE_SERVER } from "../sandbox/helpers.js";
import { freePort, machineLock, startWatchdog, type Watchdog } from "./support/peers.js";

/** Where the real watchdog fetches its issuer's discovery with jwt_auth_local=true. */
const LOCAL_AUTHORITY = "http://127.0.0.1:8000";

let env: AuthSandbox;
let watchdog: Watchdog;
let releasePort: (() => void) | undefined;
let cwd: string;

beforeAll(async () => {
  releasePort = await machineLock("port-8000");
  env = await startAuthSandbox({ host: "127.0.0.1", port: 8000 });
  cwd = mkdtempSync(join(tmpdir(), "watchdog-jwt-"));
  const port = await freePort();
  watchdog = await startWatchdog({
    cwd,
    env: {
      fprocess: `${process.execPath} ${TEMPLATE_SERVER}`,
      upstream_url: `http://127.0.0.1:${port}`,
      http_port: String(port),
      // The handler the sandbox compiled when it started the function.
      HANDLER_PATH: join(FIXTURE_ROOT, "functions", "whoami", "dist", "handler.js"),
      ready_path: "/_/ready",
      jwt_auth: "true",
      jwt_auth_local: "true",
      OPENFAAS_NAME: TARGET.name,
      OPENFAAS_NAMESPACE: TARGET.namespace,
      exec_timeout: "10s",
      read_timeout: "10s",
      write_timeout: "10s",
      healthcheck_interval: "1s",
    },
  });
}, 120_000);

afterAll(async () => {
  await watchdog?.stop();
  await env?.stop();
  releasePort?.();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

/** The case as the watchdog gets it: directly, and for an async case as the queue worker sends it (sync, same headers). */
async function viaWatchdog(c: AuthCase): Promise<AuthAnswer> {
  const headers = { ...c.headers, ...(c.method === "POST" ? { "content-type": "application/json" } : {}) };
  const res = await fetch(`${watchdog.url}${c.path}`, { method: c.method, headers, ...(c.method === "POST" ? { body: "{}" } : {}) });
  return { status: res.status, challenge: res.headers.get("www-authenticate"), internal: res.headers.get("x-openfaas-internal"), body: await res.text() };
}

/** The case names (the table's shape does not depend on the tokens). */
function caseNames(): string[] {
  const t = "a.b.c";
  return authCases({ valid: t, expired: t, otherIssuer: t, otherKey: t, serviceAccount: t, apiAccess: t, otherFunction: t, otherNamespace: t, prefix: t }).map((c) => c.name);
}

describe("of-watchdog 0.10.1 with jwt_auth=true and the sandbox answer alike", () => {
  it("trusts the sandbox's function tokens: the discovery issuer is their iss and is in their aud", async () => {
    expect(env.sandbox.url).toBe(LOCAL_AUTHORITY);
    const discovery = (await (await fetch(`${LOCAL_AUTHORITY}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
    const claims = JSON.parse(Buffer.from(env.tokens.valid.split(".")[1]!, "base64url").toString("utf8")) as { iss: string; aud: string | string[]; function: unknown };
    expect(discovery.issuer).toBe(LOCAL_AUTHORITY);
    expect(claims.iss).toBe(discovery.issuer);
    expect([claims.aud].flat()).toContain(discovery.issuer);
    expect(claims.function).toEqual({ permissions: ["dev:whoami"], audience: ["dev:whoami"] });
    expect(watchdog.logs()).toContain("JWT Auth: true");
  });

  it.each(caseNames())("%s", async (name) => {
    const c = authCases(env.tokens).find((x) => x.name === name)!;
    const real = await viaWatchdog(c);
    const ours = await viaSandbox(env.sandbox, env.callbacks, c);
    expect(real.status, `of-watchdog: ${real.body}`).toBe(c.watchdogStatus ?? c.status);
    expect(ours.status, `sandbox: ${ours.body}`).toBe(c.status);
    if (c.watchdogStatus !== undefined) return; // a deliberate difference, pinned on both sides above
    if (c.async) return; // the callback carries the status only
    expect(ours.challenge).toBe(real.challenge);
    expect(ours.internal).toBe(real.internal);
    if (c.status === 403) expect(ours.body).toBe(real.body);
    if (c.status === 401) expect(real.challenge).toBe("Bearer realm=IAM function invoke");
  });

  it("never reads a token from anywhere but Authorization, even in a header the gateway adds", async () => {
    // X-Forwarded-* and the query string are the caller's to set; neither authenticates.
    for (const target of [watchdog.url, `${env.sandbox.url}/function/${TARGET.name}.${TARGET.namespace}`]) {
      const res = await fetch(`${target}/env`, { headers: { "x-forwarded-authorization": `Bearer ${env.tokens.valid}`, cookie: `token=${env.tokens.valid}` } });
      expect(res.status, target).toBe(401);
    }
  });
});
