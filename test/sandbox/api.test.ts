import { readFile, stat } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ErrorBodySchema,
  FunctionStatusListSchema,
  FunctionStatusSchema,
  GatewayInfoSchema,
  ListNamespaceResponseSchema,
  NamespaceInfoSchema,
  SecretDescriptionListSchema,
  FunctionDeploymentSchema,
  SecretSchema,
  ScaleServiceRequestSchema,
  DeleteFunctionRequestSchema,
} from "../../sandbox/src/schema/api-schemas.js";
import type { Sandbox } from "../../sandbox/src/types.js";
import { accessTokenFor, basic, bearer, call, claimsOf, expectSchema, startFixtureSandbox } from "./helpers.js";

let sandbox: Sandbox;
let admin: string;
let whoami: string;

beforeAll(async () => {
  sandbox = await startFixtureSandbox();
  admin = basic(sandbox);
  whoami = bearer(await accessTokenFor(sandbox.url, await sandbox.issuer.mint({ namespace: "dev", serviceAccount: "whoami" })));
});
afterAll(async () => {
  await sandbox?.stop();
});

/** Sends a request whose body is first checked against the request schema (tests never send what the spec forbids by accident). */
function send(method: string, path: string, auth: string, body: unknown, schema: Parameters<typeof expectSchema>[1]) {
  expectSchema(body, schema);
  return call(sandbox.url, method, path, auth, body);
}

describe("bootstrap and discovery", () => {
  it("writes the admin credential to a 0600 file", async () => {
    expect((await readFile(sandbox.adminCredentialFile, "utf8")).trim()).toBe(sandbox.admin.password);
    expect((await stat(sandbox.adminCredentialFile)).mode & 0o777).toBe(0o600);
  });

  it("serves healthz without credentials", async () => {
    const r = await fetch(`${sandbox.url}/healthz`);
    expect(r.status).toBe(200);
  });

  it("publishes its own openid-configuration and JWKS (ES256)", async () => {
    const conf = (await (await fetch(`${sandbox.url}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
    expect(conf.issuer).toBe(sandbox.url);
    const jwks = (await (await fetch(conf.jwks_uri)).json()) as { keys: { kty: string; crv: string; alg: string }[] };
    expect(jwks.keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256" });
  });

  it("issues access tokens with the OpenFaaS claims (fed: subject, fed:iss, policy, the original claims copied)", async () => {
    const token = whoami.slice(7);
    const [h, p] = token.split(".");
    expect(JSON.parse(Buffer.from(h!, "base64url").toString())).toMatchObject({ alg: "ES256", typ: "JWT" });
    const claims = JSON.parse(Buffer.from(p!, "base64url").toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: sandbox.url, aud: sandbox.url, sub: "fed:system:serviceaccount:dev:whoami", "fed:iss": "https://kubernetes.default.svc.cluster.local", policy: ["dev-reader"] });
    expect(claims["kubernetes.io"]).toMatchObject({ namespace: "dev", serviceaccount: { name: "whoami" } });
    expect(Number(claims["exp"]) - Number(claims["iat"])).toBe(7200);
  });
});

describe("authentication", () => {
  it.each([
    ["no header", undefined],
    ["wrong admin password", `Basic ${Buffer.from("admin:nope").toString("base64")}`],
    ["garbage bearer", "Bearer abc.def.ghi"],
    ["unknown scheme", "Digest x"],
    ["a projected token instead of an access token", "projected"],
  ])("answers 401 JSON for %s", async (_n, auth) => {
    const header = auth === "projected" ? bearer(await sandbox.issuer.mint({ namespace: "dev", serviceAccount: "whoami" })) : auth;
    const r = await fetch(`${sandbox.url}/system/functions?namespace=dev`, header ? { headers: { authorization: header } } : {});
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toMatch(/Bearer/);
    expectSchema(await r.json(), ErrorBodySchema);
  });

  it("issues function tokens for scope=function and refuses them on the API", async () => {
    const form = new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", subject_token_type: "urn:ietf:params:oauth:token-type:id_token", subject_token: whoami.slice(7), scope: "function", audience: "dev:whoami" });
    const r = await fetch(`${sandbox.url}/oauth/token`, { method: "POST", body: form });
    expect(r.status).toBe(200);
    const fnToken = ((await r.json()) as { access_token: string }).access_token;
    const claims = claimsOf(fnToken);
    expect(claims["function"]).toEqual({ permissions: ["dev:whoami"], audience: ["dev:whoami"] });
    expect(claims).toMatchObject({ iss: sandbox.url, aud: sandbox.url, sub: "fed:system:serviceaccount:dev:whoami" });
    const api = await call(sandbox.url, "GET", "/system/functions?namespace=dev", bearer(fnToken));
    expect(api.status).toBe(401);
    expect((api.json as { message: string }).message).toMatch(/function token/);
    expect(api.text).not.toContain(fnToken.slice(0, 30));
  });
});

describe("namespaces", () => {
  it("creates, reads, updates, lists and deletes a namespace (managed label and annotation)", async () => {
    const created = await send("POST", "/system/namespace/", admin, { name: "team-a", labels: { team: "a" }, annotations: {} }, NamespaceInfoSchema);
    expect(created.status).toBe(201);
    const got = await call(sandbox.url, "GET", "/system/namespace/team-a", admin);
    expect(got.status).toBe(200);
    expectSchema(got.json, NamespaceInfoSchema);
    expect(got.json).toEqual({ name: "team-a", labels: { team: "a", openfaas: "1" }, annotations: { openfaas: "1" } });
    const updated = await send("PUT", "/system/namespace/team-a", admin, { name: "team-a", labels: { team: "b" } }, NamespaceInfoSchema);
    expect(updated.status).toBe(202);
    const list = await call(sandbox.url, "GET", "/system/namespaces", admin);
    expectSchema(list.json, ListNamespaceResponseSchema);
    expect(list.json).toEqual(expect.arrayContaining(["dev", "openfaas-fn", "team-a"]));
    expect((await call(sandbox.url, "POST", "/system/namespace/", admin, { name: "team-a" })).status).toBe(409);
    expect((await call(sandbox.url, "DELETE", "/system/namespace/team-a", admin, { name: "team-a" })).status).toBe(202);
    expect((await call(sandbox.url, "GET", "/system/namespace/team-a", admin)).status).toBe(404);
  });

  it("shows a caller only the namespaces it may list", async () => {
    const list = await call(sandbox.url, "GET", "/system/namespaces", whoami);
    expect(list.status).toBe(200);
    expect(list.json).toEqual(["dev"]);
  });

  it.each([
    ["POST", "/system/namespace/", { name: "Bad_Name" }, 400],
    ["POST", "/system/namespace/", { name: "x", labels: { a: 1 } }, 400],
    ["POST", "/system/namespace/", "not json", 400],
    ["POST", "/system/namespace/", [], 400],
    ["POST", "/system/namespace", { name: "x" }, 404],
    ["PUT", "/system/namespace/dev", { name: "other" }, 400],
    ["PUT", "/system/namespace/nope", { name: "nope" }, 404],
    ["DELETE", "/system/namespace/nope", { name: "nope" }, 404],
    ["GET", "/system/namespace/UPPER", undefined, 400],
  ])("%s %s %j → %i JSON", async (method, path, body, status) => {
    const r = await call(sandbox.url, method, path, admin, body);
    expect(r.status, r.text).toBe(status);
    expectSchema(r.json, ErrorBodySchema);
  });
});

describe("functions", () => {
  it("deploys, reads, lists, updates, scales and deletes a function (any image is recorded)", async () => {
    const dep = { service: "hello", image: "ghcr.io/openfaas/alpine:latest", namespace: "dev", envVars: { A: "1" }, labels: { l: "v" }, annotations: null };
    expect((await send("POST", "/system/functions", admin, dep, FunctionDeploymentSchema)).status).toBe(202);
    expect((await send("POST", "/system/functions", admin, dep, FunctionDeploymentSchema)).status).toBe(409);
    const one = await call(sandbox.url, "GET", "/system/function/hello?namespace=dev", admin);
    expect(one.status).toBe(200);
    expectSchema(one.json, FunctionStatusSchema);
    expect(one.json).toMatchObject({ name: "hello", namespace: "dev", image: dep.image, envVars: { A: "1" }, replicas: 1, availableReplicas: 0 });
    const list = await call(sandbox.url, "GET", "/system/functions?namespace=dev", admin);
    expectSchema(list.json, FunctionStatusListSchema);
    expect((list.json as { name: string }[]).map((f) => f.name)).toContain("hello");
    expect((await send("PUT", "/system/functions", admin, { ...dep, envVars: { A: "2" } }, FunctionDeploymentSchema)).status).toBe(202);
    expect(((await call(sandbox.url, "GET", "/system/function/hello?namespace=dev", admin)).json as { envVars: object }).envVars).toEqual({ A: "2" });
    expect((await send("POST", "/system/scale-function/hello", admin, { serviceName: "hello", namespace: "dev", replicas: 0 }, ScaleServiceRequestSchema)).status).toBe(202);
    expect(((await call(sandbox.url, "GET", "/system/function/hello?namespace=dev", admin)).json as { replicas: number }).replicas).toBe(0);
    expect((await send("DELETE", "/system/functions", admin, { functionName: "hello", namespace: "dev" }, DeleteFunctionRequestSchema)).status).toBe(202);
    expect((await call(sandbox.url, "GET", "/system/function/hello?namespace=dev", admin)).status).toBe(404);
  });

  it("answers 503 with a clear message when invoking an image the sandbox cannot run", async () => {
    await call(sandbox.url, "POST", "/system/functions", admin, { service: "ext", image: "docker.io/library/nginx:latest", namespace: "dev" });
    const r = await call(sandbox.url, "GET", "/function/ext.dev", "");
    expect(r.status).toBe(503);
    expect((r.json as { message: string }).message).toMatch(/no node-ts-iam function of the stack builds/);
    // The stack's image, but this sandbox was started with runFunctions: false.
    await call(sandbox.url, "POST", "/system/functions", admin, { service: "idle", image: "fixture.local/whoami:latest", namespace: "dev" });
    const idle = await call(sandbox.url, "GET", "/function/idle.dev", "");
    expect(idle.status).toBe(503);
    expect((idle.json as { message: string }).message).toMatch(/runs no function processes/);
    const missing = await call(sandbox.url, "POST", "/function/nope.dev", "");
    expect(missing.status).toBe(404);
    const async = await call(sandbox.url, "POST", "/async-function/ext.dev", "");
    expect(async.status).toBe(202);
    expect(async.headers.get("x-call-id")).toMatch(/^[0-9a-f-]{36}$/);
    const badCallback = await fetch(`${sandbox.url}/async-function/ext.dev`, { method: "POST", headers: { "x-callback-url": "ftp://x" } });
    expect(badCallback.status).toBe(400);
  });

  it.each([
    ["POST", "/system/functions", { image: "x" }, 400],
    ["POST", "/system/functions", { service: "a", image: 3 }, 400],
    ["POST", "/system/functions", { service: "a", image: "x", namespace: "nope" }, 404],
    ["POST", "/system/functions", { service: "a", image: "x", namespace: "dev", secrets: ["missing"] }, 400],
    ["POST", "/system/functions", { service: "a", image: "x", envVars: { A: 1 } }, 400],
    ["PUT", "/system/functions", { service: "ghost", image: "x", namespace: "dev" }, 404],
    ["DELETE", "/system/functions", { functionName: "ghost", namespace: "dev" }, 404],
    ["DELETE", "/system/functions", {}, 400],
    ["POST", "/system/scale-function/ghost", { serviceName: "ghost", namespace: "dev", replicas: 1 }, 404],
    ["POST", "/system/scale-function/x", { serviceName: "x", namespace: "dev", replicas: -1 }, 400],
    ["POST", "/system/scale-function/x", { serviceName: "y", namespace: "dev", replicas: 1 }, 400],
    ["GET", "/system/functions?namespace=nope", undefined, 404],
    ["GET", "/system/function/ghost?namespace=dev", undefined, 404],
    ["PATCH", "/system/functions", undefined, 405],
    ["GET", "/system/nothing", undefined, 404],
  ])("%s %s %j → %i JSON", async (method, path, body, status) => {
    const r = await call(sandbox.url, method, path, admin, body);
    expect(r.status, r.text).toBe(status);
    expectSchema(r.json, ErrorBodySchema);
  });

  it("refuses bodies over the limit with 413 JSON", async () => {
    const r = await call(sandbox.url, "POST", "/system/functions", admin, JSON.stringify({ service: "big", image: "x".repeat(1_100_000) }));
    expect(r.status).toBe(413);
  });
});

describe("secrets", () => {
  it("creates, lists (without values), updates and deletes secrets", async () => {
    expect((await send("POST", "/system/secrets", admin, { name: "db", namespace: "dev", value: "s3cr3t-value" }, SecretSchema)).status).toBe(202);
    expect((await send("POST", "/system/secrets", admin, { name: "raw", namespace: "dev", rawValue: Buffer.from([0, 1, 2]).toString("base64") }, SecretSchema)).status).toBe(202);
    const list = await call(sandbox.url, "GET", "/system/secrets?namespace=dev", admin);
    expectSchema(list.json, SecretDescriptionListSchema);
    expect(list.json).toEqual(expect.arrayContaining([{ name: "db", namespace: "dev" }, { name: "raw", namespace: "dev" }]));
    expect(list.text).not.toContain("s3cr3t-value");
    expect((await call(sandbox.url, "POST", "/system/secrets", admin, { name: "db", namespace: "dev", value: "x" })).status).toBe(409);
    expect((await call(sandbox.url, "PUT", "/system/secrets", admin, { name: "db", namespace: "dev", value: "new" })).status).toBe(202);
    expect((await call(sandbox.url, "PUT", "/system/secrets", admin, { name: "ghost", namespace: "dev", value: "new" })).status).toBe(404);
    // faas-cli `secret create --from-file` and the Go SDK send both; faas-netes accepts that (rawValue wins).
    expect((await send("POST", "/system/secrets", admin, { name: "both", namespace: "dev", value: "a", rawValue: "YQ==" }, SecretSchema)).status).toBe(202);
    const neither = await call(sandbox.url, "POST", "/system/secrets", admin, { name: "neither", namespace: "dev" });
    expect(neither.status).toBe(400);
    expect(neither.json).toMatchObject({ field: "value" });
    expect((await call(sandbox.url, "DELETE", "/system/secrets", admin, { name: "raw", namespace: "dev" })).status).toBe(202);
    expect((await call(sandbox.url, "DELETE", "/system/secrets", admin, { name: "raw", namespace: "dev" })).status).toBe(404);
  });
});

describe("logs and info", () => {
  it("validates log queries with 422 and streams NDJSON", async () => {
    await call(sandbox.url, "POST", "/system/functions", admin, { service: "quiet", image: "x", namespace: "dev" });
    expect((await call(sandbox.url, "GET", "/system/logs?namespace=dev", admin)).status).toBe(422);
    expect((await call(sandbox.url, "GET", "/system/logs?name=quiet&namespace=dev&tail=abc", admin)).status).toBe(422);
    expect((await call(sandbox.url, "GET", "/system/logs?name=quiet&namespace=dev&since=yesterday", admin)).status).toBe(422);
    expect((await call(sandbox.url, "GET", "/system/logs?name=quiet&namespace=dev&follow=maybe", admin)).status).toBe(422);
    expect((await call(sandbox.url, "GET", "/system/logs?name=ghost&namespace=dev", admin)).status).toBe(404);
    const ok = await call(sandbox.url, "GET", "/system/logs?name=quiet&namespace=dev&tail=5", admin);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("application/x-ndjson");
  });

  it("reports system info", async () => {
    const r = await call(sandbox.url, "GET", "/system/info", admin);
    expect(r.status).toBe(200);
    expectSchema(r.json, GatewayInfoSchema);
  });
});

describe("authorisation with the caller's own policies", () => {
  it.each([
    ["GET", "/system/functions?namespace=dev", undefined, 200, "", ""],
    ["GET", "/system/functions?namespace=openfaas-fn", undefined, 403, "Function:List", "openfaas-fn:*"],
    ["GET", "/system/function/quiet?namespace=dev", undefined, 200, "", ""],
    ["POST", "/system/functions", { service: "evil", image: "x", namespace: "dev" }, 403, "Function:Create", "dev:evil"],
    ["DELETE", "/system/functions", { functionName: "quiet", namespace: "dev" }, 403, "Function:Delete", "dev:quiet"],
    ["POST", "/system/scale-function/quiet", { serviceName: "quiet", namespace: "dev", replicas: 3 }, 403, "Function:Scale", "dev:quiet"],
    ["GET", "/system/secrets?namespace=dev", undefined, 403, "Secret:List", "dev:*"],
    ["POST", "/system/namespace/", { name: "mine" }, 403, "Namespace:Create", "mine:*"],
    ["GET", "/system/namespace/dev", undefined, 403, "Namespace:Get", "dev:*"],
    ["GET", "/system/logs?name=quiet&namespace=dev", undefined, 403, "Function:Logs", "dev:quiet"],
    ["GET", "/system/info", undefined, 403, "System:Info", "*"],
  ])("%s %s → %i", async (method, path, body, status, action, resource) => {
    const r = await call(sandbox.url, method, path, whoami, body);
    expect(r.status, r.text).toBe(status);
    if (status === 403) {
      expect(r.json).toMatchObject({ action, resource });
      expectSchema(r.json, ErrorBodySchema);
    }
  });

  // A refusal must not depend on whether the namespace exists: a 404 would tell a caller who may not
  // look there that it does (found when a function's walkthrough got 404 for a namespace it may not list).
  it.each([
    ["GET", (ns: string) => `/system/functions?namespace=${ns}`, undefined, "Function:List", (ns: string) => `${ns}:*`],
    ["GET", (ns: string) => `/system/function/quiet?namespace=${ns}`, undefined, "Function:Get", (ns: string) => `${ns}:quiet`],
    ["DELETE", () => "/system/functions", (ns: string) => ({ functionName: "quiet", namespace: ns }), "Function:Delete", (ns: string) => `${ns}:quiet`],
    ["POST", () => "/system/scale-function/quiet", (ns: string) => ({ serviceName: "quiet", namespace: ns, replicas: 1 }), "Function:Scale", (ns: string) => `${ns}:quiet`],
    ["GET", (ns: string) => `/system/secrets?namespace=${ns}`, undefined, "Secret:List", (ns: string) => `${ns}:*`],
    ["POST", () => "/system/secrets", (ns: string) => ({ name: "s", namespace: ns, value: "v" }), "Secret:Create", (ns: string) => `${ns}:*`],
    ["DELETE", () => "/system/secrets", (ns: string) => ({ name: "s", namespace: ns }), "Secret:Delete", (ns: string) => `${ns}:*`],
  ] as const)("%s %s: 403 for a namespace that exists and for one that does not", async (method, path, body, action, resource) => {
    for (const ns of ["openfaas-fn", "no-such-namespace"]) {
      const r = await call(sandbox.url, method, path(ns), whoami, body?.(ns));
      expect(r.status, `${ns}: ${r.text}`).toBe(403);
      expect(r.json).toMatchObject({ action, resource: resource(ns) });
    }
  });

  it("writes one audit line per decision", async () => {
    await new Promise((r) => setTimeout(r, 50));
    const lines = (await readFile(sandbox.auditLog, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ subject: "fed:system:serviceaccount:dev:whoami", action: "System:Info", resource: "*", allowed: false }));
    expect(lines).toContainEqual(expect.objectContaining({ subject: "fed:system:serviceaccount:dev:whoami", action: "Function:List", resource: "dev:*", allowed: true }));
    expect(lines).toContainEqual(expect.objectContaining({ subject: "admin", allowed: true }));
    expect(JSON.stringify(lines)).not.toContain(whoami.slice(7, 40));
  });
});

describe("requests refused before routing", () => {
  it("answers oversized headers (a > 16 KiB bearer token) with 431 JSON", async () => {
    const r = await call(sandbox.url, "GET", "/system/functions?namespace=dev", `Bearer ${"a".repeat(20 * 1024)}`);
    expect(r.status).toBe(431);
    expectSchema(r.json, ErrorBodySchema);
  });

  it("answers a malformed request with 400 JSON", async () => {
    const { connect } = await import("node:net");
    const port = Number(new URL(sandbox.url).port);
    const text = await new Promise<string>((resolve) => {
      let out = "";
      const socket = connect(port, "127.0.0.1", () => socket.write("NOT HTTP AT ALL\r\n\r\n"));
      socket.on("data", (c) => (out += c.toString()));
      socket.on("close", () => resolve(out));
    });
    expect(text).toMatch(/^HTTP\/1\.1 400/);
    expect(text).toContain('{"message":"malformed HTTP request"}');
  });
});
