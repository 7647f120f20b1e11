import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError, withErrorAnswers, type Api, type ApiRequest, type ApiResponse } from "@node-ts-iam/sdk/kit";
import { createNsAdmin, errorAnswers, type NsAdminOptions } from "../src/app.js";
import { parseScope, ScopeConfigError } from "../src/scope.js";
import { readSettings } from "../src/settings.js";
import { FakeGateway } from "./fake-gateway.js";

/** The API answered as handler.ts serves it: one error layer, with ns-admin's options. */
function answered(options: NsAdminOptions): Api {
  return withErrorAnswers(createNsAdmin(options), { ...errorAnswers, log: () => {} });
}

function setup(allowed = "dev team-a-*", granted?: (ns: string) => boolean) {
  const gateway = new FakeGateway(granted);
  const api = answered({ gateway: () => gateway, scope: parseScope(allowed), maxReplicas: 5, logTimeoutMs: 1_000 });
  const call = (method: string, path: string, body?: unknown, query: Record<string, string> = {}): Promise<ApiResponse> =>
    api({ method, path, query, body, headers: body === undefined ? {} : { "content-type": "application/json" } } satisfies ApiRequest);
  return { gateway, call };
}

function codeOf(res: ApiResponse): string {
  return (res.body as { code: string }).code;
}

describe("scope", () => {
  it("matches names and prefix patterns, fails closed when unset", () => {
    const scope = parseScope("dev, team-a-*");
    assert.equal(scope.allows("dev"), true);
    assert.equal(scope.allows("team-a-web"), true);
    assert.equal(scope.allows("team-b"), false);
    assert.equal(scope.allows("development"), false);
    assert.equal(parseScope(undefined).allows("dev"), false);
    assert.equal(parseScope("*").allows("anything"), true);
    assert.throws(() => parseScope("Dev"), ScopeConfigError);
    assert.throws(() => parseScope("a*b"), ScopeConfigError);
  });
});

describe("settings", () => {
  it("are read from the environment once, typed, with defaults", () => {
    const settings = readSettings({ ALLOWED_NAMESPACES: "dev team-a-*", MAX_REPLICAS: "7", ALLOW_SERVICEACCOUNT_ANNOTATION: "true" });
    assert.deepEqual(settings.scope.entries, ["dev", "team-a-*"]);
    assert.equal(settings.maxReplicas, 7);
    assert.equal(settings.allowServiceAccountAnnotation, true);
    const defaults = readSettings({});
    assert.equal(defaults.scope.allows("dev"), false, "unset ALLOWED_NAMESPACES allows nothing");
    assert.equal(defaults.maxReplicas, 20);
    assert.equal(defaults.allowServiceAccountAnnotation, false);
  });

  it("refuse a malformed value, naming the variable", () => {
    assert.throws(() => readSettings({ MAX_REPLICAS: "lots" }), /MAX_REPLICAS/);
    assert.throws(() => readSettings({ MAX_REPLICAS: "-1" }), /MAX_REPLICAS/);
    assert.throws(() => readSettings({ ALLOWED_NAMESPACES: "Dev" }), ScopeConfigError);
  });
});

describe("the router app.ts returns", () => {
  it("throws its errors for the one layer that answers them (serveApi in handler.ts)", async () => {
    const gateway = new FakeGateway();
    const api = createNsAdmin({ gateway: () => gateway, scope: parseScope("dev") });
    const request = (path: string): ApiRequest => ({ method: "GET", path, query: {}, headers: {}, body: undefined });
    await assert.rejects(api(request("/namespaces/staging/functions")), (error: unknown) => error instanceof ApiError && error.code === "NAMESPACE_NOT_ALLOWED");
    await assert.rejects(api(request("/namespaces/dev/functions/missing")), (error: unknown) => (error as { code?: unknown }).code === "ERR_NOT_FOUND");
    assert.equal((await api(request("/namespaces"))).status, 200);
  });
});

describe("ns-admin API", () => {
  it("lists only namespaces in scope", async () => {
    const { call } = setup();
    const res = await call("GET", "/namespaces");
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { namespaces: ["dev", "team-a-web"] });
  });

  it("deploys, then updates, gets, scales, lists and deletes a function", async () => {
    const { call, gateway } = setup();
    const created = await call("PUT", "/namespaces/dev/functions/hello", { image: "ghcr.io/acme/hello:1", labels: { app: "hello" } });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body, { name: "hello", namespace: "dev", action: "created" });
    const updated = await call("PUT", "/namespaces/dev/functions/hello", { image: "ghcr.io/acme/hello:2" });
    assert.equal(updated.status, 200);
    assert.equal((updated.body as { action: string }).action, "updated");
    assert.equal(gateway.functions.get("dev/hello")?.image, "ghcr.io/acme/hello:2");
    const got = await call("GET", "/namespaces/dev/functions/hello");
    assert.equal((got.body as { image: string }).image, "ghcr.io/acme/hello:2");
    const scaled = await call("POST", "/namespaces/dev/functions/hello/scale", { replicas: 3 });
    assert.equal(scaled.status, 202);
    assert.equal(gateway.functions.get("dev/hello")?.replicas, 3);
    const list = await call("GET", "/namespaces/dev/functions");
    assert.deepEqual((list.body as { functions: { name: string }[] }).functions.map((f) => f.name), ["hello"]);
    const deleted = await call("DELETE", "/namespaces/dev/functions/hello");
    assert.equal(deleted.status, 200);
    assert.equal(gateway.functions.size, 0);
    const gone = await call("GET", "/namespaces/dev/functions/hello");
    assert.equal(gone.status, 404);
    assert.equal(codeOf(gone), "NOT_FOUND");
  });

  it("updates when a concurrent deploy wins the race (409 on deploy)", async () => {
    const { call, gateway } = setup();
    const realGetFunction = gateway.getFunction.bind(gateway);
    gateway.getFunction = async (name, namespace) => {
      const answer = realGetFunction(name, namespace);
      // Someone else deploys between our read and our deploy.
      gateway.functions.set(`${namespace}/${name}`, { service: name, namespace, image: "other:1", replicas: 1 });
      return answer;
    };
    const res = await call("PUT", "/namespaces/dev/functions/racy", { image: "mine:1" });
    assert.equal(res.status, 200);
    assert.equal((res.body as { action: string }).action, "updated");
    assert.equal(gateway.functions.get("dev/racy")?.image, "mine:1");
  });

  it("manages secrets without ever returning values", async () => {
    const { call, gateway } = setup();
    assert.equal((await call("POST", "/namespaces/dev/secrets", { name: "db-pass", value: "s3cret" })).status, 201);
    const again = await call("POST", "/namespaces/dev/secrets", { name: "db-pass", value: "x" });
    assert.equal(again.status, 409);
    assert.equal(codeOf(again), "CONFLICT");
    assert.equal((await call("PUT", "/namespaces/dev/secrets/db-pass", { rawValue: Buffer.from("new").toString("base64") })).status, 200);
    assert.equal(gateway.secrets.get("dev/db-pass")?.rawValue, "bmV3");
    const list = await call("GET", "/namespaces/dev/secrets");
    assert.deepEqual(list.body, { namespace: "dev", secrets: [{ name: "db-pass" }] });
    assert.doesNotMatch(JSON.stringify(list.body), /s3cret|bmV3/);
    assert.equal((await call("DELETE", "/namespaces/dev/secrets/db-pass")).status, 200);
    assert.equal(gateway.secrets.size, 0);
  });

  it("tails logs up to the requested count", async () => {
    const { call, gateway } = setup();
    gateway.logs = [1, 2, 3].map((i) => ({ name: "hello", namespace: "dev", instance: "hello-1", timestamp: `2026-01-01T00:00:0${i}Z`, text: `line ${i}` }));
    const res = await call("GET", "/namespaces/dev/functions/hello/logs", undefined, { tail: "2" });
    assert.equal(res.status, 200);
    assert.deepEqual((res.body as { lines: { text: string }[] }).lines.map((l) => l.text), ["line 1", "line 2"]);
  });

  it("refuses a namespace outside its scope before any gateway call", async () => {
    const { call, gateway } = setup();
    for (const [method, path, body] of [
      ["GET", "/namespaces/staging/functions"],
      ["PUT", "/namespaces/staging/functions/hello", { image: "x:1" }],
      ["DELETE", "/namespaces/staging/secrets/a"],
      ["GET", "/namespaces/team-b/functions/x/logs"],
    ] as const) {
      const res = await call(method, path, body);
      assert.equal(res.status, 403, path);
      assert.equal(codeOf(res), "NAMESPACE_NOT_ALLOWED");
    }
    assert.deepEqual(gateway.calls, []);
  });

  it("passes on a gateway 403 with the gateway's reason", async () => {
    const { call, gateway } = setup("*", (ns) => ns === "dev");
    const res = await call("GET", "/namespaces/staging/functions");
    assert.equal(res.status, 403);
    assert.equal(codeOf(res), "GATEWAY_FORBIDDEN");
    assert.match((res.body as { reason: string }).reason, /staging/);
    assert.deepEqual(gateway.calls, ["getFunctions staging"]);
  });

  it("answers 404 for unknown routes and 405 with Allow for wrong methods", async () => {
    const { call } = setup();
    const notFound = await call("GET", "/nope");
    assert.equal(notFound.status, 404);
    assert.equal(codeOf(notFound), "ROUTE_NOT_FOUND");
    const wrong = await call("PATCH", "/namespaces/dev/functions/hello");
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers["allow"], "DELETE, GET, PUT");
    assert.equal(codeOf(wrong), "METHOD_NOT_ALLOWED");
  });

  it("maps gateway failures of its own identity to 502 without echoing SDK messages", async () => {
    const gateway = new FakeGateway();
    gateway.getNamespaces = async () => {
      throw Object.assign(new Error("token exchange failed for eyJcanary"), { code: "ERR_OAUTH" });
    };
    const api = answered({ gateway: () => gateway, scope: parseScope("dev") });
    const res = await api({ method: "GET", path: "/namespaces", query: {}, headers: {}, body: undefined });
    assert.equal(res.status, 502);
    assert.equal(codeOf(res), "GATEWAY_AUTH_FAILED");
    assert.doesNotMatch(JSON.stringify(res.body), /eyJcanary/);
  });

  it("answers every bad input with a 4xx JSON error and a stable code", async () => {
    const { call, gateway } = setup();
    gateway.functions.set("dev/hello", { service: "hello", namespace: "dev", image: "x:1", replicas: 1 });
    const bad: [string, string, unknown, Record<string, string>?][] = [
      ["GET", "/namespaces/Dev/functions", undefined],
      ["GET", "/namespaces/-dev/functions", undefined],
      ["GET", `/namespaces/${"a".repeat(64)}/functions`, undefined],
      ["GET", "/namespaces/dev/functions/Hello_World", undefined],
      ["GET", "/namespaces/dev/functions/%E0%A4%A", undefined],
      ["PUT", "/namespaces/dev/functions/hello", undefined],
      ["PUT", "/namespaces/dev/functions/hello", "not json"],
      ["PUT", "/namespaces/dev/functions/hello", [1, 2]],
      ["PUT", "/namespaces/dev/functions/hello", {}],
      ["PUT", "/namespaces/dev/functions/hello", { image: "" }],
      ["PUT", "/namespaces/dev/functions/hello", { image: "a b" }],
      ["PUT", "/namespaces/dev/functions/hello", { image: "x:1", imagee: "typo" }],
      ["PUT", "/namespaces/dev/functions/hello", { image: "x:1", envVars: { A: 1 } }],
      ["PUT", "/namespaces/dev/functions/hello", { image: "x:1", secrets: ["Bad_Name"] }],
      ["PUT", "/namespaces/dev/functions/hello", { image: "x:1", limits: { memory: "lots" } }],
      ["PUT", "/namespaces/dev/functions/hello", { image: "x:1", readOnlyRootFilesystem: "yes" }],
      ["PUT", "/namespaces/dev/functions/hello", { image: "x:1", annotations: { "com.openfaas.serviceaccount": "admin" } }],
      ["POST", "/namespaces/dev/functions/hello/scale", { replicas: -1 }],
      ["POST", "/namespaces/dev/functions/hello/scale", { replicas: 6 }],
      ["POST", "/namespaces/dev/functions/hello/scale", { replicas: 1.5 }],
      ["POST", "/namespaces/dev/functions/hello/scale", { replicas: "2" }],
      ["POST", "/namespaces/dev/functions/hello/scale", {}],
      ["GET", "/namespaces/dev/functions/hello/logs", undefined, { tail: "0" }],
      ["GET", "/namespaces/dev/functions/hello/logs", undefined, { tail: "abc" }],
      ["GET", "/namespaces/dev/functions/hello/logs", undefined, { since: "yesterday" }],
      ["POST", "/namespaces/dev/secrets", { name: "ok" }],
      ["POST", "/namespaces/dev/secrets", { name: "ok", value: "a", rawValue: "YQ==" }],
      ["POST", "/namespaces/dev/secrets", { name: "Not_OK", value: "a" }],
      ["POST", "/namespaces/dev/secrets", { value: "a" }],
      ["PUT", "/namespaces/dev/secrets/ok", { rawValue: "not base64!" }],
      ["DELETE", "/namespaces", undefined],
      ["POST", "/namespaces/dev/functions", { image: "x:1" }],
      ["GET", "/namespaces/dev/functions/hello/extra/deep", undefined],
    ];
    assert.ok(bad.length >= 20);
    for (const [method, path, body, query] of bad) {
      const res = await call(method, path, body, query);
      assert.ok(res.status >= 400 && res.status < 500, `${method} ${path} ${JSON.stringify(body)} -> ${res.status}`);
      assert.equal(res.headers["content-type"], "application/json; charset=utf-8");
      assert.match(codeOf(res), /^[A-Z_]+$/);
    }
    const urlencoded = await answered({ gateway: () => gateway, scope: parseScope("dev") })({
      method: "POST",
      path: "/namespaces/dev/secrets",
      query: {},
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: { name: "x" },
    });
    assert.equal(urlencoded.status, 415);
    assert.equal(gateway.functions.get("dev/hello")?.image, "x:1", "nothing was changed by bad input");
  });
});
