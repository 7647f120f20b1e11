import { generateKeyPair, SignJWT, exportSPKI, base64url } from "jose";
import { createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceAccountIssuer, KUBERNETES_ISSUER } from "../../sandbox/src/issuer/service-account-issuer.js";
import { errorDescription, OAuthHttpError } from "../../sandbox/src/http/errors.js";
import { quoteUntrusted } from "../../sandbox/src/iam/jwt-shape.js";
import { OAuthErrorSchema, TokenResponseSchema } from "../../sandbox/src/schema/api-schemas.js";
import type { Sandbox } from "../../sandbox/src/types.js";
import { exchange, expectSchema, GRANT, ID_TOKEN, startFixtureSandbox } from "./helpers.js";

let sandbox: Sandbox;
let good: string;
/** Signs claims with the sandbox issuer's own key (tokens Kubernetes would never mint). */
let forge: (claims: Record<string, unknown>, header?: { kid?: string }) => Promise<string>;
let outsider: ServiceAccountIssuer;

const sub = "system:serviceaccount:dev:whoami";
const now = () => Math.floor(Date.now() / 1000);

/** A second registered issuer (a CI IdP) whose key the test holds: claims can be wrong while the signature is right. */
const CI_ISS = "https://ci.example.test";
const CI_AUD = "urn:sandbox-test";
const DOWN_ISS = "https://down.example.test";
let ci: ServiceAccountIssuer;
let manifestDir: string;
const ciClaims = (over: Record<string, unknown> = {}) => ({ iss: CI_ISS, sub: "ci-bot", aud: [CI_AUD], iat: now(), nbf: now(), exp: now() + 600, ...over });

beforeAll(async () => {
  ci = await ServiceAccountIssuer.start({ iss: CI_ISS });
  manifestDir = await mkdtemp(join(tmpdir(), "sandbox-hostile-"));
  await writeFile(
    join(manifestDir, "ci.yaml"),
    [
      `apiVersion: iam.openfaas.com/v1\nkind: JwtIssuer\nmetadata: {name: ci, namespace: openfaas}\nspec: {iss: "${CI_ISS}", aud: ["${CI_AUD}"], issInternal: "${ci.url}", tokenExpiry: 30m}`,
      `apiVersion: iam.openfaas.com/v1\nkind: Role\nmetadata: {name: ci-bot, namespace: openfaas}\nspec: {policy: [dev-reader], principal: {"jwt:sub": [ci-bot]}}`,
      // An issuer whose keys cannot be fetched (nothing listens on port 1): its refusal quotes a network error.
      `apiVersion: iam.openfaas.com/v1\nkind: JwtIssuer\nmetadata: {name: down, namespace: openfaas}\nspec: {iss: "${DOWN_ISS}", aud: ["${CI_AUD}"], issInternal: "http://127.0.0.1:1"}`,
    ].join("\n---\n"),
  );
  sandbox = await startFixtureSandbox({ manifestPaths: [manifestDir] });
  good = await sandbox.issuer.mint({ namespace: "dev", serviceAccount: "whoami" });
  // An issuer the sandbox does not trust for kubernetes tokens: same iss, a different key.
  outsider = await ServiceAccountIssuer.start({ iss: KUBERNETES_ISSUER });
  forge = (claims, header) => outsider.sign(claims, header);
});
afterAll(async () => {
  await outsider?.stop();
  await ci?.stop();
  await sandbox?.stop();
  if (manifestDir) await rm(manifestDir, { recursive: true, force: true });
});

const base = (over: Record<string, unknown> = {}) => ({
  iss: KUBERNETES_ISSUER,
  sub,
  aud: [sandbox.url],
  iat: now(),
  nbf: now(),
  exp: now() + 3600,
  "kubernetes.io": { namespace: "dev", serviceaccount: { name: "whoami", uid: "u" }, pod: { name: "p", uid: "u" } },
  ...over,
});

function tamper(token: string, change: (claims: Record<string, unknown>) => void): string {
  const [h, p, s] = token.split(".");
  const claims = JSON.parse(Buffer.from(p!, "base64url").toString()) as Record<string, unknown>;
  change(claims);
  return `${h}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${s}`;
}

function withHeader(token: string, header: Record<string, unknown>): string {
  const [, p, s] = token.split(".");
  return `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${p}.${s}`;
}

const form = (subjectToken: string, extra: Record<string, string> = {}) => ({ grant_type: GRANT, subject_token_type: ID_TOKEN, subject_token: subjectToken, ...extra });

describe("token exchange", () => {
  it("exchanges a good projected token for an ES256 access token (RFC 8693 §2.2.1)", async () => {
    const r = await exchange(sandbox.url, form(good));
    expect(r.status, r.text).toBe(200);
    expectSchema(r.body, TokenResponseSchema);
    expect(r.body["token_type"]).toBe("Bearer");
    expect(r.body["issued_token_type"]).toBe(ID_TOKEN);
    expect(r.body["expires_in"]).toBe(7200);
  });

  it("answers a token never to be cached (RFC 6749 §5.1: Cache-Control no-store, Pragma no-cache)", async () => {
    const res = await fetch(`${sandbox.url}/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form(good)) });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("pragma")).toBe("no-cache");
    await res.arrayBuffer();
  });

  it("uses the subject issuer's tokenExpiry and tolerates a few seconds of clock skew", async () => {
    const r = await exchange(sandbox.url, form(await ci.sign(ciClaims({ exp: now() - 2 }))));
    expect(r.status, r.text).toBe(200);
    expect(r.body["expires_in"]).toBe(1800);
  });

  it("accepts an iat a few seconds ahead (within the 5 s leeway)", async () => {
    const r = await exchange(sandbox.url, form(await ci.sign(ciClaims({ iat: now() + 3 }))));
    expect(r.status, r.text).toBe(200);
  });

  it("also accepts the fields in the query string of the POST", async () => {
    const r = await exchange(sandbox.url, new URLSearchParams(), `?${new URLSearchParams(form(good))}`);
    expect(r.status, r.text).toBe(200);
  });
});

type Hostile = [string, () => Promise<Record<string, string> | URLSearchParams> | Record<string, string> | URLSearchParams, RegExp];

const hostile: Hostile[] = [
  ["expired", async () => form(await ci.sign(ciClaims({ exp: now() - 60, iat: now() - 700, nbf: now() - 700 }))), /has expired/],
  ["future nbf", async () => form(await ci.sign(ciClaims({ nbf: now() + 300 }))), /not valid yet/],
  ["wrong aud (registered issuer, valid signature)", async () => form(await ci.sign(ciClaims({ aud: ["urn:other"] }))), /audience.*not valid for JwtIssuer 'ci'/],
  ["iat an hour in the future (registered issuer, valid signature)", async () => form(await ci.sign(ciClaims({ iat: now() + 3600 }))), /issued in the future \(iat is more than 5 s ahead/],
  ["issuer whose keys cannot be fetched", async () => form(await ci.sign(ciClaims({ iss: DOWN_ISS }))), /JWKS keys of JwtIssuer 'down' are unavailable/],
  ["iat 30 s in the future", async () => form(await ci.sign(ciClaims({ iat: now() + 30 }))), /issued in the future/],
  ["unregistered issuer with a quote, a backslash and non-ASCII in iss", () => form(tamper(good, (c) => (c["iss"] = 'https://evil"\\\u2028\u00e9.example'))), /issuer 'https:\/\/evil'\/\?\?\.example' is not registered/],
  ["algorithm with a quote and a backslash", () => form(withHeader(good, { alg: 'RS"2\\56' })), /algorithm 'RS'2\/56' is not allowed/],
  ["audience with quotes, a backslash and a newline", () => form(good, { audience: 'a"b\\c\nd' }), /audience 'a'b\/c\?d' is not valid/],
  ["no exp claim", async () => form(await ci.sign({ iss: CI_ISS, sub: "ci-bot", aud: [CI_AUD], iat: now() })), /exp/],
  ["forged kubernetes token with the sandbox key's kid", async () => form(await forgeGood({ exp: now() - 120, iat: now() - 4000, nbf: now() - 4000 })), /signature verification failed/],
  ["empty subject_token", () => form(""), /missing field subject_token/],
  ["missing subject_token", () => ({ grant_type: GRANT, subject_token_type: ID_TOKEN }), /missing field subject_token/],
  ["missing grant_type", () => ({ subject_token_type: ID_TOKEN, subject_token: good }), /missing field grant_type/],
  ["wrong grant_type", () => form(good, { grant_type: "client_credentials" }), /grant_type must be/],
  ["missing subject_token_type", () => ({ grant_type: GRANT, subject_token: good }), /missing field subject_token_type/],
  ["wrong subject_token_type", () => form(good, { subject_token_type: "urn:ietf:params:oauth:token-type:saml2" }), /subject_token_type must be/],
  ["repeated subject_token", () => { const p = new URLSearchParams(form(good)); p.append("subject_token", good); return p; }, /must be given once/],
  ["repeated grant_type", () => { const p = new URLSearchParams(form(good)); p.append("grant_type", GRANT); return p; }, /must be given once/],
  ["not a JWT", () => form("hello-world"), /not a signed JWT/],
  ["truncated (two parts)", () => form(good.split(".").slice(0, 2).join(".")), /not a signed JWT/],
  ["truncated signature", () => form(good.slice(0, good.length - 20)), /signature|malformed/],
  ["larger than 16 KiB", () => form(`${good}${"A".repeat(17 * 1024)}`), /larger than 16384 bytes/],
  ["alg none", () => form(`${withHeader(good, { alg: "none", typ: "JWT" }).split(".").slice(0, 2).join(".")}.`), /not a signed JWT|not allowed/],
  ["alg none with a fake signature", () => form(withHeader(good, { alg: "none" })), /not allowed/],
  ["HS256 signed with the issuer's public key", async () => form(await hs256WithPublicKey()), /not allowed/],
  ["tampered payload (sub changed)", () => form(tamper(good, (c) => (c["sub"] = "system:serviceaccount:openfaas:admin"))), /signature verification failed/],
  ["tampered payload (exp extended)", () => form(tamper(good, (c) => (c["exp"] = now() + 99999))), /signature verification failed/],
  ["unknown kid", () => form(withHeader(good, { alg: "RS256", kid: "no-such-key" })), /key \(kid\)|signature/],
  ["signed by another key with the right kid", async () => form(await forge(base(), { kid: (await jwks()).keys[0]?.kid ?? "no key in the JWKS" })), /signature verification failed/],
  ["signed by another key, its own kid", async () => form(await forge(base())), /kid|signature/],
  ["wrong aud", async () => form(await sandbox.issuer.mint({ namespace: "dev", serviceAccount: "whoami", audience: ["https://kubernetes.default.svc"] })), /audience/],
  ["unregistered issuer", async () => form(await new SignJWT(base({ iss: "https://evil.example.com" })).setProtectedHeader({ alg: "ES256" }).sign((await generateKeyPair("ES256")).privateKey)), /not registered/],
  ["wrong iss (tampered)", () => form(tamper(good, (c) => (c["iss"] = "https://kubernetes.default.svc"))), /not registered/],
  ["no policies for the subject", async () => form(await sandbox.issuer.mint({ namespace: "dev", serviceAccount: "stranger" })), /No policies found for subject: system:serviceaccount:dev:stranger/],
  ["tampered nbf", async () => form(tamper(good, (c) => (c["nbf"] = now() + 600))), /signature verification failed/],
  ["header not JSON", () => form(`bm90LWpzb24.${good.split(".")[1]}.${good.split(".")[2]}`), /malformed/],
  ["actor_token (delegation)", () => form(good, { actor_token: good, actor_token_type: ID_TOKEN }), /actor_token/],
  ["function scope without audience", () => form(good, { scope: "function" }), /needs at least one audience/],
  ["function scope, malformed audience", () => form(good, { scope: "function", audience: "../etc" }), /<namespace>:<function>/],
  ["function scope, audience not allowed", () => form(good, { scope: "function", audience: "prod:billing" }), /may not invoke prod:billing/],
  ["tampered access token as the subject of a function-token request", async () => form(tamper(await accessToken(), (c) => (c["policy"] = ["everything"])), { scope: "function", audience: "dev:whoami" }), /signature verification failed/],
  ["access token exchanged again without scope=function", async () => form(await accessToken()), /can only be exchanged for a function token/],
  ["audience other than the gateway", () => form(good, { audience: "https://elsewhere.example.com" }), /is not valid/],
];

async function accessToken(): Promise<string> {
  const r = await exchange(sandbox.url, form(good));
  return String(r.body["access_token"]);
}

async function jwks(): Promise<{ keys: { kid: string; n: string; e: string }[] }> {
  return (await (await fetch(`${sandbox.issuer.url}/openid/v1/jwks`)).json()) as never;
}

/** A correctly shaped token signed by the outsider key but claiming the sandbox issuer's kid. */
async function forgeGood(over: Record<string, unknown>): Promise<string> {
  return forge(base(over), { kid: (await jwks()).keys[0]!.kid });
}

async function hs256WithPublicKey(): Promise<string> {
  const { importJWK } = await import("jose");
  const key = await importJWK({ ...(await jwks()).keys[0]!, alg: "RS256" } as never, "RS256", { extractable: true });
  const pem = await exportSPKI(key as never);
  const header = base64url.encode(JSON.stringify({ alg: "HS256", typ: "JWT", kid: (await jwks()).keys[0]!.kid }));
  const payload = base64url.encode(JSON.stringify(base()));
  const sig = createHmac("sha256", pem).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${sig}`;
}

describe("hostile subject tokens: none accepted", () => {
  const accepted: string[] = [];
  it.each(hostile)("%s", async (name, build, description) => {
    const fields = await build();
    const r = await exchange(sandbox.url, fields);
    if (r.status === 200) accepted.push(name);
    expect(r.status, r.text).toBe(400);
    expectSchema(r.body, OAuthErrorSchema);
    expect(String(r.body["error_description"])).toMatch(description);
    // RFC 6749 §5.2: error_description holds only %x20-21 / %x23-5B / %x5D-7E (no quote, no backslash, ASCII only).
    expect(String(r.body["error_description"])).toMatch(/^[\x20\x21\x23-\x5B\x5D-\x7E]+$/);
    // No token (or a recognisable part of one) in the refusal.
    const subject = fields instanceof URLSearchParams ? (fields.get("subject_token") ?? "") : (fields["subject_token"] ?? "");
    for (const part of subject.split(".").filter((p) => p.length > 16)) expect(r.text).not.toContain(part.slice(0, 16));
  });

  it("has at least 25 hostile cases and accepted 0", () => {
    expect(hostile.length).toBeGreaterThanOrEqual(25);
    expect(accepted).toEqual([]);
  });

  it("refuses a form body with the wrong content type and oversize bodies as OAuth errors", async () => {
    const wrongType = await fetch(`${sandbox.url}/oauth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(form(good)) });
    expect(wrongType.status).toBe(400);
    expect(((await wrongType.json()) as { error_description: string }).error_description).toMatch(/^Content-Type must be application\/x-www-form-urlencoded$/);
    const huge = await fetch(`${sandbox.url}/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "a=".padEnd(70 * 1024, "x") });
    expect(huge.status).toBe(400);
    expect(((await huge.json()) as { error_description: string }).error_description).toBe("request body exceeds the limit of 65536 bytes");
    const get = await fetch(`${sandbox.url}/oauth/token`);
    expect(get.status).toBe(405);
    // RFC 9110 §15.5.6: a 405 lists the methods the resource has.
    expect(get.headers.get("allow")).toBe("POST");
  });

  it("keeps subject tokens out of the audit log", async () => {
    await new Promise((r) => setTimeout(r, 100));
    const audit = await readFile(sandbox.auditLog, "utf8");
    expect(audit).toContain('"allowed":false');
    expect(audit).not.toContain(good.split(".")[1]!.slice(0, 24));
    expect(audit).not.toContain(good.split(".")[2]!.slice(0, 24));
  });
});

describe("error_description (RFC 6749 §5.2)", () => {
  it.each([
    ['say "hi"', "say 'hi'"],
    ["C:\\path", "C:/path"],
    ["line\nbreak\ttab", "line?break?tab"],
    ["caf\u00e9 \u2026 \u{1F600}", "caf? ... ??"],
    ["plain text: <ns>:<fn> (ok) [x] {y} ~!#$%&'*+,-./;=?@^_`|", "plain text: <ns>:<fn> (ok) [x] {y} ~!#$%&'*+,-./;=?@^_`|"],
  ])("makes %j safe", (input, expected) => {
    const safe = errorDescription(input);
    expect(safe).toBe(expected);
    expect(safe).toMatch(/^[\x20\x21\x23-\x5B\x5D-\x7E]*$/);
    expect(new OAuthHttpError("invalid_request", input).body).toEqual({ error: "invalid_request", error_description: expected });
  });

  it("quotes untrusted values shortened, in single quotes, made safe", () => {
    expect(quoteUntrusted('a"b')).toBe("'a'b'");
    expect(quoteUntrusted("x".repeat(200))).toBe(`'${"x".repeat(120)}...'`);
  });
});

describe("canary tokens never leak", () => {
  it("keeps a canary out of every response, the audit log and the sandbox's log lines", async () => {
    const lines: string[] = [];
    const sb = await startFixtureSandbox({ log: (l) => lines.push(l) });
    try {
      const canaryJwt = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ iss: "CANARY-ISS-7f3a", sub: "x" })).toString("base64url")}.Q0FOQVJZLVNJRy03ZjNh`;
      const canary = "CANARY-7f3a-9b1c-secret-token";
      const texts: string[] = [];
      const record = async (p: Promise<Response>) => texts.push(await (await p).text());
      await record(fetch(`${sb.url}/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form(canary)) }));
      await record(fetch(`${sb.url}/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form(canaryJwt)) }));
      await record(fetch(`${sb.url}/system/functions?namespace=dev`, { headers: { authorization: `Bearer ${canary}` } }));
      await record(fetch(`${sb.url}/system/functions?namespace=dev`, { headers: { authorization: `Bearer ${canaryJwt}` } }));
      await record(fetch(`${sb.url}/system/functions`, { method: "POST", headers: { authorization: `Basic ${Buffer.from(`admin:${canary}`).toString("base64")}` }, body: "{}" }));
      const admin = `Basic ${Buffer.from(`${sb.admin.username}:${sb.admin.password}`).toString("base64")}`;
      await record(fetch(`${sb.url}/system/functions`, { method: "POST", headers: { authorization: admin }, body: canary }));
      await record(fetch(`${sb.url}/system/secrets`, { method: "POST", headers: { authorization: admin }, body: JSON.stringify({ name: "c", namespace: "dev", value: canary }) }));
      await record(fetch(`${sb.url}/system/secrets?namespace=dev`, { headers: { authorization: admin } }));
      await new Promise((r) => setTimeout(r, 50));
      const audit = await readFile(sb.auditLog, "utf8");
      for (const text of [...texts, audit, lines.join("\n")]) {
        expect(text).not.toContain(canary);
        expect(text).not.toContain("Q0FOQVJZLVNJRy03ZjNh");
      }
      expect(texts.length).toBe(8);
    } finally {
      await sb.stop();
      await sb.stop();
    }
  });
});
