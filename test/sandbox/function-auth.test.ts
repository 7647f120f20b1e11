/**
 * Function authentication in the sandbox (issue 8): a function deployed with `jwt_auth=true` answers
 * only function tokens for itself, sync and async, as of-watchdog 0.10.1 does (the conformance suite
 * checks the same table against the real watchdog); health and readiness stay open; a function
 * without `jwt_auth` is untouched; no refusal ever carries a token. Plus the decision rules of
 * {@link FunctionAuthenticator} on tokens only the gateway's key can sign.
 */
import { readFileSync } from "node:fs";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccessTokenService } from "../../sandbox/src/iam/access-tokens.js";
import { FunctionAuthenticator, jwtAuthEnabled } from "../../sandbox/src/watchdog/function-auth.js";
import { authCases, OPEN_TARGET, startAuthSandbox, TARGET, viaSandbox, type AuthSandbox } from "./function-auth-cases.js";
import { basic, call } from "./helpers.js";

describe("a jwt_auth=true function in the sandbox", () => {
  let env: AuthSandbox;
  beforeAll(async () => {
    env = await startAuthSandbox();
  }, 90_000);
  afterAll(async () => {
    await env?.stop();
  });

  it("runs the table of at least 12 token cases, sync and async", () => {
    const cases = authCases(env.tokens);
    expect(cases.length).toBeGreaterThanOrEqual(12);
    expect(cases.filter((c) => c.async).map((c) => c.status).sort()).toEqual([200, 401, 401, 403]);
  });

  it.each(authCasesLater())("%s", async (name) => {
    const c = authCases(env.tokens).find((x) => x.name === name)!;
    const answer = await viaSandbox(env.sandbox, env.callbacks, c);
    expect(answer.status, answer.body).toBe(c.status);
    if (!c.async && c.status === 401) {
      expect(answer.challenge).toBe("Bearer realm=IAM function invoke");
      expect(answer.internal).toBe("faas-middleware");
    }
    if (c.status === 403) expect(answer.body).toBe("insufficient permissions\n");
    if (c.status === 200 && c.path.startsWith("/env")) expect(JSON.parse(answer.body)).toMatchObject({ name: TARGET.name, namespace: TARGET.namespace });
    // A refusal never carries a token, not even part of one.
    for (const token of Object.values(env.tokens)) for (const part of token.split(".").slice(1)) expect(answer.body).not.toContain(part);
  });

  it("leaves a function without jwt_auth as it was: no token needed, a token ignored", async () => {
    for (const headers of [{}, { authorization: "Bearer not-a-jwt" }] as Record<string, string>[]) {
      const r = await fetch(`${env.sandbox.url}/function/${OPEN_TARGET.name}.${OPEN_TARGET.namespace}/env`, { headers });
      expect(r.status).toBe(200);
    }
    expect((await fetch(`${env.sandbox.url}/function/${OPEN_TARGET.name}.${OPEN_TARGET.namespace}/_/health`)).status).toBe(200);
    expect(env.sandbox.functions.map((f) => [f.name, f.jwtAuth]).sort()).toEqual([
      [OPEN_TARGET.name, false],
      [TARGET.name, true],
    ]);
  });

  it("never echoes a token of real size: not in the answer, the function's logs or the audit log", async () => {
    const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const kid = JSON.parse(Buffer.from(env.tokens.valid.split(".")[0]!, "base64url").toString("utf8"))["kid"] as string;
    const marker = "canaryfa7e";
    const canary = `${part({ alg: "ES256", kid, typ: "JWT" })}.${part({ iss: env.sandbox.url, aud: env.sandbox.url, sub: marker, pad: marker.repeat(65) })}.${marker}${"x".repeat(76)}`;
    expect(canary.length).toBeGreaterThan(1_000);
    expect(canary.length).toBeLessThan(1_400);
    const answers = [
      await fetch(`${env.sandbox.url}/function/${TARGET.name}.${TARGET.namespace}/env`, { headers: { authorization: `Bearer ${canary}` } }),
      await fetch(`${env.sandbox.url}/function/${TARGET.name}.${TARGET.namespace}/env?token=${canary}`),
    ];
    for (const r of answers) {
      expect(r.status).toBe(401);
      expect(await r.text()).not.toContain(marker);
    }
    const logs = await call(env.sandbox.url, "GET", `/system/logs?name=${TARGET.name}&namespace=${TARGET.namespace}`, basic(env.sandbox));
    expect(logs.text).toContain("GET /env - 401 ACCESS DENIED");
    expect(logs.text).not.toContain(marker);
    for (const token of Object.values(env.tokens)) expect(logs.text).not.toContain(token.split(".")[2]);
    expect(readFileSync(env.sandbox.auditLog, "utf8")).not.toContain(marker);
  });
});

/** The case names, known before the tokens exist (the table's shape does not depend on them). */
function authCasesLater(): string[] {
  const placeholder = "a.b.c";
  return authCases({ valid: placeholder, expired: placeholder, otherIssuer: placeholder, otherKey: placeholder, serviceAccount: placeholder, apiAccess: placeholder, otherFunction: placeholder, otherNamespace: placeholder, prefix: placeholder }).map((c) => c.name);
}

describe("FunctionAuthenticator's rules", () => {
  const GATEWAY = "http://127.0.0.1:8080";
  let gateway: AccessTokenService;
  let auth: FunctionAuthenticator;
  const access = () => ({ sub: "fed:system:serviceaccount:ci:deployer", policy: ["p"], exp: Math.floor(Date.now() / 1000) + 600 });
  const withGrant = (grant: unknown) => gateway.issueFunctionToken(access(), grant as { permissions: string[]; audience: string[] });

  beforeAll(async () => {
    gateway = await AccessTokenService.create();
    gateway.setGatewayUrl(GATEWAY);
    auth = new FunctionAuthenticator({ namespace: "openfaas-fn", name: "ns-admin" }, { issuer: GATEWAY, jwks: gateway.jwks });
  });

  it.each([
    ["exactly the function", { permissions: ["openfaas-fn:ns-admin"], audience: ["openfaas-fn:ns-admin"] }, true],
    ["a namespace wildcard", { permissions: ["openfaas-fn:*"], audience: [] }, true],
    ["every function", { permissions: ["*"], audience: ["*"] }, true],
    ["permissions without an audience list", { permissions: ["openfaas-fn:ns-admin"] }, true],
    ["an audience list that names another function", { permissions: ["openfaas-fn:ns-admin"], audience: ["openfaas-fn:other"] }, false],
    ["no permissions, only an audience", { permissions: [], audience: ["openfaas-fn:ns-admin"] }, false],
    ["a longer name", { permissions: ["openfaas-fn:ns-admin2"], audience: [] }, false],
    ["a prefix (the watchdog's unanchored match would allow it)", { permissions: ["openfaas-fn:ns"], audience: [] }, false],
    ["a suffix of the namespace", { permissions: ["fn:ns-admin"], audience: [] }, false],
    ["an empty pattern", { permissions: [""], audience: [] }, false],
  ])("grants or refuses %s", async (_label, grant, allowed) => {
    const decision = await auth.check(`Bearer ${await withGrant(grant)}`);
    expect(decision).toEqual(allowed ? { allowed: true } : { allowed: false, status: 403, message: "insufficient permissions" });
  });

  it("reads a function claim of another shape as a malformed token (401), as Go's typed decoding does", async () => {
    for (const claim of ["openfaas-fn:ns-admin", ["openfaas-fn:ns-admin"], { permissions: "openfaas-fn:ns-admin" }, { permissions: [7] }]) {
      expect(await auth.check(`Bearer ${await withGrant(claim)}`)).toMatchObject({ allowed: false, status: 401, message: "failed to parse JWT token: the function claim is malformed" });
    }
  });

  it("refuses a token without a kid, with an unknown kid, or over 16 KiB, before verifying it", async () => {
    const { privateKey } = await import("jose").then((j) => j.generateKeyPair("ES256"));
    const unsigned = (header: Record<string, unknown>) =>
      new SignJWT({ function: { permissions: ["*"] } }).setProtectedHeader({ alg: "ES256", ...header }).setIssuer(GATEWAY).setAudience(GATEWAY).setExpirationTime("5m").sign(privateKey);
    expect(await auth.check(`Bearer ${await unsigned({})}`)).toMatchObject({ status: 401, message: "failed to parse JWT token: invalid kid" });
    expect(await auth.check(`Bearer ${await unsigned({ kid: "nope" })}`)).toMatchObject({ status: 401, message: "failed to parse JWT token: invalid kid" });
    const kid = gateway.jwks.keys[0]!.kid!;
    expect(await auth.check(`Bearer ${await unsigned({ kid })}`)).toMatchObject({ status: 401, message: "failed to parse JWT token: the token signature verification failed" });
    expect(await auth.check(`Bearer ${"a".repeat(16 * 1024 + 1)}`)).toMatchObject({ status: 401 });
    expect(await auth.check(undefined)).toEqual({ allowed: false, status: 401, message: "Bearer must be present in Authorization header" });
  });

  it("remembers a verified token only until its exp (plus the 1 s leeway)", async () => {
    const exp = Math.floor(Date.now() / 1000) + 1;
    const token = await gateway.issueFunctionToken({ ...access(), exp }, { permissions: ["openfaas-fn:ns-admin"], audience: [] });
    expect(await auth.check(`Bearer ${token}`)).toEqual({ allowed: true });
    expect(await auth.check(`Bearer ${token}`)).toEqual({ allowed: true });
    await new Promise((r) => setTimeout(r, (exp + 1) * 1000 - Date.now() + 50));
    expect(await auth.check(`Bearer ${token}`)).toEqual({ allowed: false, status: 401, message: "failed to parse JWT token: the token has expired (exp is in the past)" });
  });

  it("takes jwt_auth as the watchdog reads it: true or 1, exactly", () => {
    expect(["true", "1"].map((v) => jwtAuthEnabled({ jwt_auth: v }))).toEqual([true, true]);
    expect(["TRUE", "yes", "", " true"].map((v) => jwtAuthEnabled({ jwt_auth: v }))).toEqual([false, false, false, false]);
    expect(jwtAuthEnabled({})).toBe(false);
  });
});
