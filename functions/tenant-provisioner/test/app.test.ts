import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError, withErrorAnswers, type Api, type ApiResponse } from "@node-ts-iam/sdk/kit";
import { createProvisioner, errorAnswers, FAULT_HEADER, type ProvisionerOptions } from "../src/app.js";
import { ReconcileError, type Report } from "../src/reconcile.js";
import { readSettings } from "../src/settings.js";
import { FakeGateway } from "./fake-gateway.js";

const { config } = readSettings({ STARTER_FUNCTIONS: "hello=ghcr.io/acme/hello:1,echo=ghcr.io/acme/echo:1", TENANT_SECRETS: "tenant-api-key,db-password" });

/** The API answered as handler.ts serves it: one error layer, with the provisioner's options. */
function answered(options: ProvisionerOptions): Api {
  return withErrorAnswers(createProvisioner(options), { ...errorAnswers, log: () => {} });
}

function setup(gateway = new FakeGateway()) {
  const api = answered({ gateway: () => gateway, config, faultInjection: true });
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> =>
    api({ method, path, query: {}, body, headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers } });
  return { gateway, call };
}

const outcomes = (res: ApiResponse): string[] =>
  ((res.body as { report?: Report }).report ?? (res.body as Report)).actions.map((a) => `${a.kind}:${a.name}:${a.outcome}`);

describe("tenant provisioner", () => {
  it("creates a tenant in a deterministic order and reports each object", async () => {
    const { call, gateway } = setup();
    const res = await call("POST", "/tenants", { name: "acme", labels: { team: "acme" }, annotations: { owner: "ops@acme.test" } });
    assert.equal(res.status, 201);
    assert.deepEqual(outcomes(res), [
      "namespace:tenant-acme:created",
      "secret:db-password:created",
      "secret:tenant-api-key:created",
      "function:echo:created",
      "function:hello:created",
    ]);
    const ns = gateway.namespaces.get("tenant-acme")!;
    assert.equal(ns.labels?.["team"], "acme");
    assert.equal(ns.labels?.["node-ts-iam.dev/tenant"], "acme");
    assert.equal(ns.annotations?.["owner"], "ops@acme.test");
    assert.deepEqual(gateway.functions.get("tenant-acme/hello")?.secrets, ["db-password", "tenant-api-key"]);
    assert.equal(gateway.secrets.get("tenant-acme/db-password")?.value.length, 43);
  });

  it("converges on a repeat: nothing created twice, secrets not rotated", async () => {
    const { call, gateway } = setup();
    await call("POST", "/tenants", { name: "acme" });
    const secret = gateway.secrets.get("tenant-acme/tenant-api-key")?.value;
    const writesBefore = gateway.calls.filter((c) => /^(create|deploy|update)/.test(c)).length;
    const again = await call("POST", "/tenants", { name: "acme" });
    assert.equal(again.status, 200);
    assert.ok(outcomes(again).every((o) => o.endsWith(":unchanged")), outcomes(again).join());
    assert.equal(gateway.calls.filter((c) => /^(create|deploy|update)/.test(c)).length, writesBefore);
    assert.equal(gateway.secrets.get("tenant-acme/tenant-api-key")?.value, secret);
  });

  it("updates drifted objects", async () => {
    const { call, gateway } = setup();
    await call("POST", "/tenants", { name: "acme" });
    gateway.functions.get("tenant-acme/hello")!.image = "ghcr.io/acme/hello:0";
    const res = await call("POST", "/tenants", { name: "acme", labels: { tier: "gold" } });
    assert.ok(outcomes(res).includes("namespace:tenant-acme:updated"));
    assert.ok(outcomes(res).includes("function:hello:updated"));
    assert.equal(gateway.functions.get("tenant-acme/hello")?.image, "ghcr.io/acme/hello:1");
    assert.equal(gateway.namespaces.get("tenant-acme")?.labels?.["tier"], "gold");
  });

  it("completes the job after an injected fault part-way", async () => {
    const { call, gateway } = setup();
    const failed = await call("POST", "/tenants", { name: "acme" }, { [FAULT_HEADER]: "2" });
    assert.equal(failed.status, 503);
    assert.equal((failed.body as { code: string }).code, "INJECTED_FAULT");
    assert.deepEqual(outcomes(failed), ["namespace:tenant-acme:created", "secret:db-password:created"]);
    assert.equal((failed.body as { report: Report }).report.complete, false);
    const resumed = await call("POST", "/tenants", { name: "acme" });
    assert.equal(resumed.status, 201);
    assert.deepEqual(outcomes(resumed), [
      "namespace:tenant-acme:unchanged",
      "secret:db-password:unchanged",
      "secret:tenant-api-key:created",
      "function:echo:created",
      "function:hello:created",
    ]);
    assert.equal(gateway.functions.size, 2);
  });

  it("completes after a gateway failure, treating 409 on create as existing", async () => {
    const { call, gateway } = setup();
    gateway.failing.add("deploy");
    const failed = await call("POST", "/tenants", { name: "acme" });
    assert.equal(failed.status, 502);
    assert.equal((failed.body as { report: Report }).report.complete, false);
    gateway.failing.delete("deploy");
    // A concurrent run deployed `echo` meanwhile: our deploy gets 409 and must not fail.
    const realGetFunctions = gateway.getFunctions.bind(gateway);
    let first = true;
    gateway.getFunctions = async (ns) => {
      const list = await realGetFunctions(ns);
      if (first) {
        first = false;
        await gateway.deploy({ ...config.starterFunctions.map((f) => ({ service: f.name, image: f.image }))[1]!, namespace: ns, labels: { "node-ts-iam.dev/tenant": "acme", "app.kubernetes.io/managed-by": "tenant-provisioner" }, envVars: { TENANT: "acme" }, secrets: ["db-password", "tenant-api-key"] });
      }
      return list;
    };
    const resumed = await call("POST", "/tenants", { name: "acme" });
    assert.equal(resumed.status, 201, JSON.stringify(resumed.body));
    assert.ok(outcomes(resumed).includes("function:echo:unchanged"), outcomes(resumed).join());
    assert.equal(gateway.functions.size, 2);
  });

  it("lists, shows and deletes tenants in a safe order", async () => {
    const { call, gateway } = setup();
    await call("POST", "/tenants", { name: "acme" });
    await call("POST", "/tenants", { name: "beta" });
    gateway.namespaces.set("tenant-foreign", { name: "tenant-foreign", labels: {} });
    const list = await call("GET", "/tenants");
    assert.deepEqual(list.body, { tenants: [{ name: "acme", namespace: "tenant-acme" }, { name: "beta", namespace: "tenant-beta" }] });
    const show = await call("GET", "/tenants/acme");
    assert.deepEqual((show.body as { secrets: string[] }).secrets, ["db-password", "tenant-api-key"]);
    gateway.calls.length = 0;
    const del = await call("DELETE", "/tenants/acme");
    assert.equal(del.status, 200);
    assert.deepEqual(outcomes(del), [
      "function:echo:deleted",
      "function:hello:deleted",
      "secret:db-password:deleted",
      "secret:tenant-api-key:deleted",
      "namespace:tenant-acme:deleted",
    ]);
    assert.equal(gateway.namespaces.has("tenant-acme"), false);
    assert.equal((await call("DELETE", "/tenants/acme")).status, 404);
    const foreign = await call("DELETE", "/tenants/foreign");
    assert.equal(foreign.status, 409);
    assert.equal((foreign.body as { code: string }).code, "TENANT_NOT_MANAGED");
  });

  it("finishes a deletion stopped part-way", async () => {
    const { call, gateway } = setup();
    await call("POST", "/tenants", { name: "acme" });
    const failed = await call("DELETE", "/tenants/acme", undefined, { [FAULT_HEADER]: "3" });
    assert.equal(failed.status, 503);
    assert.deepEqual(outcomes(failed), ["function:echo:deleted", "function:hello:deleted", "secret:db-password:deleted"]);
    assert.equal(gateway.namespaces.has("tenant-acme"), true);
    const resumed = await call("DELETE", "/tenants/acme");
    assert.equal(resumed.status, 200);
    assert.deepEqual(outcomes(resumed), ["secret:tenant-api-key:deleted", "namespace:tenant-acme:deleted"]);
    assert.equal(gateway.namespaces.has("tenant-acme"), false);
  });

  it("passes on the gateway's 403 when its policy does not cover a namespace", async () => {
    const { call } = setup(new FakeGateway(() => false));
    const res = await call("POST", "/tenants", { name: "acme" });
    assert.equal(res.status, 403);
    assert.equal((res.body as { code: string }).code, "GATEWAY_FORBIDDEN");
    assert.match((res.body as { reason: string }).reason, /tenant-acme/);
  });

  it("ignores the fault header unless fault injection is enabled", async () => {
    const gateway = new FakeGateway();
    const api = answered({ gateway: () => gateway, config });
    const res = await api({ method: "POST", path: "/tenants", query: {}, body: { name: "acme" }, headers: { "content-type": "application/json", [FAULT_HEADER]: "0" } });
    assert.equal(res.status, 201);
  });

  it("answers every bad input with a 4xx JSON error and a stable code, changing nothing", async () => {
    const { call, gateway } = setup();
    const bad: [string, string, unknown, Record<string, string>?][] = [
      ["POST", "/tenants", undefined],
      ["POST", "/tenants", "not json"],
      ["POST", "/tenants", [1]],
      ["POST", "/tenants", {}],
      ["POST", "/tenants", { name: "" }],
      ["POST", "/tenants", { name: "Acme" }],
      ["POST", "/tenants", { name: "-acme" }],
      ["POST", "/tenants", { name: "a".repeat(57) }],
      ["POST", "/tenants", { name: 42 }],
      ["POST", "/tenants", { name: "acme", extra: true }],
      ["POST", "/tenants", { name: "acme", labels: "x" }],
      ["POST", "/tenants", { name: "acme", labels: { "bad key!": "x" } }],
      ["POST", "/tenants", { name: "acme", labels: { team: "has spaces" } }],
      ["POST", "/tenants", { name: "acme", labels: { "node-ts-iam.dev/tenant": "other" } }],
      ["POST", "/tenants", { name: "acme", annotations: { a: 1 } }],
      ["POST", "/tenants", { name: "acme" }, { [FAULT_HEADER]: "many" }],
      ["GET", "/tenants/Acme", undefined],
      ["GET", "/tenants/nobody", undefined],
      ["DELETE", "/tenants/nobody", undefined],
      ["DELETE", "/tenants/dev%2F..", undefined],
      ["PUT", "/tenants", { name: "acme" }],
      ["PATCH", "/tenants/acme", { name: "acme" }],
      ["GET", "/tenants/acme/functions", undefined],
      ["GET", "/nope", undefined],
    ];
    assert.ok(bad.length >= 20);
    for (const [method, path, body, headers] of bad) {
      const res = await call(method, path, body, headers);
      assert.ok(res.status >= 400 && res.status < 500, `${method} ${path} ${JSON.stringify(body)} -> ${res.status}`);
      assert.match((res.body as { code: string }).code, /^[A-Z_]+$/);
    }
    assert.deepEqual([...gateway.namespaces.keys()], ["dev"]);
  });
});

describe("labels and annotations with platform meaning", () => {
  it("are refused with the reason: keys under kubernetes.io and k8s.io (and subdomains), openfaas in any case", async () => {
    const { call, gateway } = setup();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ labels: { "pod-security.kubernetes.io/enforce": "privileged" } }, /"pod-security\.kubernetes\.io\/enforce" is refused: keys under pod-security\.kubernetes\.io\/ are reserved for Kubernetes/],
      [{ labels: { "kubernetes.io/metadata.name": "kube-system" } }, /"kubernetes\.io\/metadata\.name" is refused: keys under kubernetes\.io\/ are reserved for Kubernetes/],
      [{ labels: { "k8s.io/x": "y" } }, /keys under k8s\.io\/ are reserved/],
      [{ labels: { "node.k8s.io/x": "y" } }, /keys under node\.k8s\.io\/ are reserved/],
      [{ annotations: { "scheduler.alpha.kubernetes.io/node-selector": "env=prod" } }, /annotations: .* keys under scheduler\.alpha\.kubernetes\.io\/ are reserved/],
      [{ labels: { Openfaas: "1" } }, /"Openfaas" is refused: openfaas \(in any case\) marks the namespaces OpenFaaS manages/],
      [{ annotations: { OPENFAAS: "0" } }, /"OPENFAAS" is refused: openfaas \(in any case\)/],
    ];
    for (const [extra, reason] of cases) {
      const res = await call("POST", "/tenants", { name: "acme", ...extra });
      assert.equal(res.status, 400, JSON.stringify(extra));
      assert.equal((res.body as { code: string }).code, "INVALID_BODY");
      assert.match((res.body as { message: string }).message, reason);
    }
    assert.equal(gateway.namespaces.has("tenant-acme"), false);
    // Keys that merely resemble them are a tenant's own.
    const ok = await call("POST", "/tenants", { name: "acme", labels: { "example.com/kubernetes.io": "x", "notkubernetes.io/a": "b", "openfaas-team": "x" } });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
  });
});

describe("settings", () => {
  it("rejects malformed STARTER_FUNCTIONS and TENANT_SECRETS", () => {
    assert.throws(() => readSettings({ STARTER_FUNCTIONS: "hello" }), /STARTER_FUNCTIONS: .*name=image/);
    assert.throws(() => readSettings({ TENANT_SECRETS: "Bad_Name" }), /TENANT_SECRETS: .*RFC 1123/);
  });

  it("are read once, typed, with defaults; fault injection only with TENANT_PROVISIONER_FAULTS=enabled", () => {
    const defaults = readSettings({});
    assert.deepEqual(defaults.config, { starterFunctions: [{ name: "hello", image: "ghcr.io/openfaas/nodeinfo:latest" }], secretNames: ["tenant-api-key"] });
    assert.equal(defaults.faultInjection, false);
    assert.equal(readSettings({ TENANT_PROVISIONER_FAULTS: "enabled" }).faultInjection, true);
    assert.equal(readSettings({ TENANT_PROVISIONER_FAULTS: "true" }).faultInjection, false);
  });
});

describe("the router app.ts returns", () => {
  it("throws a failure part-way as a ReconcileError, which only errorAnswers turns into an answer with the report", async () => {
    const gateway = new FakeGateway();
    gateway.failing.add("deploy");
    const request = { method: "POST", path: "/tenants", query: {}, body: { name: "acme" }, headers: { "content-type": "application/json" } };
    await assert.rejects(createProvisioner({ gateway: () => gateway, config })(request), ReconcileError);
    const res = await answered({ gateway: () => gateway, config })(request);
    assert.equal(res.status, 502);
    assert.equal((res.body as { code: string }).code, "GATEWAY_UNAVAILABLE");
    assert.equal((res.body as { report: Report }).report.complete, false);
    await assert.rejects(createProvisioner({ gateway: () => gateway, config })({ ...request, path: "/nope" }), ApiError);
  });
});
