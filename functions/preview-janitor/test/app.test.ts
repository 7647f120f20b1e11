import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FunctionStatus as FunctionInfo } from "@node-ts-iam/sdk";
import { ApiError, gatewayStatusError, withErrorAnswers, type ApiResponse } from "@node-ts-iam/sdk/kit";
import { createJanitor, errorAnswers } from "../src/app.js";
import type { JanitorGateway } from "../src/gateway.js";
import { readSettings } from "../src/settings.js";
import type { SweepReport } from "../src/sweep.js";

const NOW = new Date("2026-06-01T12:00:00Z");

class FakeGateway implements JanitorGateway {
  readonly deleted: string[] = [];
  constructor(readonly functions: FunctionInfo[]) {}
  async getFunctions(namespace: string): Promise<FunctionInfo[]> {
    if (namespace === "prod") throw gatewayStatusError(403, "forbidden on prod:*");
    return this.functions.filter((f) => f.namespace === namespace);
  }
  async deleteFunction(name: string, namespace: string): Promise<void> {
    const i = this.functions.findIndex((f) => f.name === name && f.namespace === namespace);
    if (i < 0) throw gatewayStatusError(404, "");
    this.functions.splice(i, 1);
    this.deleted.push(`${namespace}/${name}`);
  }
}

const preview = (name: string, namespace: string, expiresAt?: string): FunctionInfo => ({
  name,
  namespace,
  image: "ghcr.io/acme/preview:1",
  labels: { "node-ts-iam.dev/preview": "true" },
  annotations: expiresAt === undefined ? {} : { "node-ts-iam.dev/expires-at": expiresAt },
});

function setup(namespaces = ["dev", "prod"]) {
  const gateway = new FakeGateway([
    preview("pr-1", "dev", "2026-06-01T11:00:00Z"),
    preview("pr-2", "dev", "2026-06-02T00:00:00Z"),
    preview("pr-3", "dev", "tomorrow"),
    { name: "api", namespace: "dev", image: "ghcr.io/acme/api:1", labels: {}, annotations: { "node-ts-iam.dev/expires-at": "2020-01-01T00:00:00Z" } },
    preview("pr-9", "staging", "2020-01-01T00:00:00Z"),
  ]);
  // Answered as handler.ts serves it: one error layer, with the janitor's options.
  const api = withErrorAnswers(createJanitor({ gateway: () => gateway, namespaces, now: () => NOW }), { ...errorAnswers, log: () => {} });
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> =>
    api({ method, path, query: {}, body, headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers } });
  return { gateway, call };
}

describe("preview janitor", () => {
  it("deletes only expired, labelled previews in its namespaces", async () => {
    const { gateway, call } = setup();
    const res = await call("POST", "/", { namespaces: ["dev"] });
    assert.equal(res.status, 200);
    const report = res.body as SweepReport;
    assert.deepEqual(gateway.deleted, ["dev/pr-1"]);
    assert.deepEqual(report.kept.map((k) => k.name), ["pr-2"]);
    assert.deepEqual(report.invalid.map((k) => k.name), ["pr-3"]);
    assert.ok(gateway.functions.some((f) => f.name === "api"), "unlabelled functions are never touched");
    assert.ok(gateway.functions.some((f) => f.name === "pr-9"), "other namespaces are never touched");
  });

  it("dry-runs on GET and with dryRun: true", async () => {
    const { gateway, call } = setup(["dev"]);
    const get = await call("GET", "/");
    assert.deepEqual((get.body as SweepReport).deleted.map((d) => d.name), ["pr-1"]);
    const post = await call("POST", "/", { dryRun: true });
    assert.equal((post.body as SweepReport).dryRun, true);
    assert.deepEqual(gateway.deleted, []);
  });

  it("sweeps on the cron-connector's empty POST", async () => {
    const { gateway, call } = setup(["dev"]);
    const res = await call("POST", "/", "", { "content-type": "text/plain" });
    assert.equal(res.status, 200);
    assert.deepEqual(gateway.deleted, ["dev/pr-1"]);
  });

  it("passes on the gateway's 403", async () => {
    const { call } = setup();
    const res = await call("POST", "/", { namespaces: ["prod"] });
    assert.equal(res.status, 403);
    assert.equal((res.body as { code: string }).code, "GATEWAY_FORBIDDEN");
  });

  it("answers every bad input with a 4xx JSON error and changes nothing", async () => {
    const { gateway, call } = setup(["dev"]);
    const bad: [string, string, unknown, Record<string, string>?][] = [
      ["POST", "/", "not json"],
      ["POST", "/", [1]],
      ["POST", "/", 42],
      ["POST", "/", { namespace: ["dev"] }],
      ["POST", "/", { namespaces: "dev" }],
      ["POST", "/", { namespaces: [] }],
      ["POST", "/", { namespaces: ["Dev"] }],
      ["POST", "/", { namespaces: [1] }],
      ["POST", "/", { namespaces: ["staging"] }],
      ["POST", "/", { namespaces: ["dev", "kube-system"] }],
      ["POST", "/", { dryRun: "yes" }],
      ["POST", "/", { dryRun: 1 }],
      ["POST", "/", { namespaces: Array.from({ length: 65 }, () => "dev") }],
      ["POST", "/", { dryRun: false, extra: 1 }],
      ["POST", "/", { namespaces: ["dev"] }, { "content-type": "application/xml" }],
      ["PUT", "/", {}],
      ["DELETE", "/", undefined],
      ["PATCH", "/", {}],
      ["GET", "/sweep", undefined],
      ["POST", "/functions/pr-1", {}],
      ["GET", "/%E0%A4%A", undefined],
      ["POST", "/", undefined, { "content-type": "application/xml" }],
    ];
    assert.ok(bad.length >= 20);
    for (const [method, path, body, headers] of bad) {
      const res = await call(method, path, body, headers);
      assert.ok(res.status >= 400 && res.status < 500, `${method} ${path} ${JSON.stringify(body)} -> ${res.status}`);
      assert.match((res.body as { code: string }).code, /^[A-Z_]+$/);
    }
    assert.deepEqual(gateway.deleted, []);
  });

  it("reads its namespaces from JANITOR_NAMESPACES", () => {
    assert.deepEqual(readSettings({ JANITOR_NAMESPACES: "dev, preview" }), { namespaces: ["dev", "preview"] });
    assert.throws(() => readSettings({}), /JANITOR_NAMESPACES must name at least one/);
    assert.throws(() => readSettings({ JANITOR_NAMESPACES: "Dev" }), /JANITOR_NAMESPACES: "Dev" is not a namespace/);
  });

  it("throws its errors from the router app.ts returns, for the one layer that answers them", async () => {
    const api = createJanitor({ gateway: () => new FakeGateway([]), namespaces: ["dev", "prod"], now: () => NOW });
    const post = (body: unknown) => api({ method: "POST", path: "/", query: {}, body, headers: { "content-type": "application/json" } });
    await assert.rejects(post({ namespaces: ["staging"] }), (error: unknown) => error instanceof ApiError && error.code === "NAMESPACE_NOT_ALLOWED");
    await assert.rejects(post({ namespaces: ["prod"] }), (error: unknown) => (error as { code?: unknown }).code === "ERR_FORBIDDEN");
  });
});
