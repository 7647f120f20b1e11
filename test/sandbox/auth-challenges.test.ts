import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../sandbox/src/types.js";
import { accessTokenFor, bearer, call, exchange, GRANT, ID_TOKEN, startFixtureSandbox } from "./helpers.js";

let sandbox: Sandbox;
/** Kubernetes tokens are 900-1,300 characters: canaries of that size. */
const canary = (tag: string): string => `${tag}-${randomBytes(900).toString("base64url")}`;
const DESCRIPTION_CHARS = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;

beforeAll(async () => {
  sandbox = await startFixtureSandbox();
});
afterAll(async () => {
  await sandbox?.stop();
});

async function auditLines(): Promise<Record<string, unknown>[]> {
  return (await readFile(sandbox.auditLog, "utf8"))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The parameters of the Bearer challenge in a WWW-Authenticate value. */
function bearerChallenge(header: string | null): Record<string, string> {
  expect(header).toBeTruthy();
  const bearerPart = header!.slice(header!.indexOf("Bearer "), header!.indexOf(", Basic "));
  return Object.fromEntries([...bearerPart.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

describe("failed basic auth", () => {
  it("is audited with the user name and never the password", async () => {
    const password = canary("PASSWORD-CANARY");
    const r = await call(sandbox.url, "GET", "/system/functions?namespace=dev", `Basic ${Buffer.from(`mallory:${password}`).toString("base64")}`);
    expect(r.status).toBe(401);
    expect(bearerChallenge(r.headers.get("www-authenticate"))).toEqual({ realm: "OpenFaaS API" });
    const lines = await auditLines();
    expect(lines).toContainEqual(expect.objectContaining({ subject: "basic:mallory", action: "Auth:Basic", resource: "/system/functions", allowed: false }));
    const audit = await readFile(sandbox.auditLog, "utf8");
    expect(audit).not.toContain(password.slice(0, 40));
    expect(r.text + JSON.stringify([...r.headers])).not.toContain(password.slice(0, 40));
  });

  it("does not quote a user name that is long or unprintable (it may be a pasted secret)", async () => {
    const user = canary("USER-CANARY");
    const r = await call(sandbox.url, "GET", "/system/info", `Basic ${Buffer.from(`${user}:x`).toString("base64")}`);
    expect(r.status).toBe(401);
    const lines = await auditLines();
    expect(lines).toContainEqual(expect.objectContaining({ subject: "basic:(unprintable or over 64 characters)", action: "Auth:Basic", resource: "/system/info" }));
    expect(await readFile(sandbox.auditLog, "utf8")).not.toContain(user.slice(0, 40));
  });
});

describe("WWW-Authenticate (RFC 6750 §3.1)", () => {
  it("carries no error code when no credentials came", async () => {
    const r = await call(sandbox.url, "GET", "/system/functions?namespace=dev", "");
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toBe('Bearer realm="OpenFaaS API", Basic realm="OpenFaaS API"');
  });

  it.each([
    ["a garbage token of real size", () => canary("BEARER-CANARY"), /not a signed JWT/],
    ["a function token (not for the API)", async () => functionToken(), /function token/],
    ["a token with a quote and a backslash", () => 'a"b\\c.d"e.f\\g', /not a signed JWT/],
  ])("says error=\"invalid_token\" with a safe description for %s", async (_name, make, description) => {
    const token = await make();
    const r = await call(sandbox.url, "GET", "/system/functions?namespace=dev", bearer(token));
    expect(r.status, r.text).toBe(401);
    const header = r.headers.get("www-authenticate");
    const params = bearerChallenge(header);
    expect(params).toMatchObject({ realm: "OpenFaaS API", error: "invalid_token" });
    expect(params["error_description"]).toMatch(description);
    expect(params["error_description"]).toMatch(DESCRIPTION_CHARS);
    expect(header).toContain(', Basic realm="OpenFaaS API"');
    for (const part of token.split(".").filter((p) => p.length > 16)) expect(`${header} ${r.text}`).not.toContain(part.slice(0, 16));
  });

  it('says error="invalid_token" for an expired access token', async () => {
    // A huge timeScale makes access tokens live 1 s.
    const fast = await startFixtureSandbox({ timeScale: 1_000_000 });
    try {
      const token = await accessTokenFor(fast.url, await fast.issuer.mint({ namespace: "dev", serviceAccount: "whoami" }));
      expect((await call(fast.url, "GET", "/system/functions?namespace=dev", bearer(token))).status).toBe(200);
      // Poll until the second boundary passes (at most a few seconds), then check the refusal.
      let r = await call(fast.url, "GET", "/system/functions?namespace=dev", bearer(token));
      for (const deadline = Date.now() + 5000; r.status === 200 && Date.now() < deadline; ) {
        await new Promise((done) => setTimeout(done, 100));
        r = await call(fast.url, "GET", "/system/functions?namespace=dev", bearer(token));
      }
      expect(r.status).toBe(401);
      const params = bearerChallenge(r.headers.get("www-authenticate"));
      expect(params).toMatchObject({ error: "invalid_token", error_description: expect.stringMatching(/has expired/) });
      expect(params["error_description"]).toMatch(DESCRIPTION_CHARS);
    } finally {
      await fast.stop();
    }
  });
});

async function functionToken(): Promise<string> {
  const access = await accessTokenFor(sandbox.url, await sandbox.issuer.mint({ namespace: "dev", serviceAccount: "whoami" }));
  const r = await exchange(sandbox.url, { grant_type: GRANT, subject_token_type: ID_TOKEN, subject_token: access, scope: "function", audience: "dev:whoami" });
  expect(r.status, r.text).toBe(200);
  return String(r.body["access_token"]);
}
