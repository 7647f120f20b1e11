/**
 * Rebuilds on an injected clock against an in-memory gateway: functions added, changed, removed;
 * a bad expression skipped with one line naming the function; a denied namespace skipped with one
 * line (not one per rebuild) and its schedules dropped; a failing gateway keeps the schedule; the
 * invocations the Go connector makes (POST, no body, X-Topic, X-Connector), sync or async, with a
 * function token when the function needs one.
 */
import { describe, expect, it } from "vitest";
import type { InvokeRequest } from "@node-ts-iam/sdk";
import { gatewayStatusError } from "@node-ts-iam/sdk/kit";
import { CronConnector } from "../../connectors/cron-connector/src/connector.js";
import { configFromEnvironment } from "../../connectors/cron-connector/src/config.js";
import { cronFunction, FakeGateway } from "./support/fake-gateway.js";
import { ManualClock } from "./support/manual-clock.js";

const START = "2026-01-01T00:07:00Z";

function setup(env: Record<string, string> = {}) {
  const gateway = new FakeGateway();
  const clock = new ManualClock(START);
  const lines: string[] = [];
  const config = configFromEnvironment({ gateway_url: "http://gateway.openfaas:8080", ...env });
  const connector = new CronConnector({ gateway, config, clock, rebuildClock: clock, timezone: "UTC", log: (line) => lines.push(line) });
  /** Lines logged since the last call. */
  let seen = 0;
  const fresh = (): string[] => {
    const out = lines.slice(seen);
    seen = lines.length;
    return out;
  };
  return { gateway, clock, lines, fresh, connector };
}

/** Lets invocations started by timers settle (they are promises the table does not await). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("rebuilds", () => {
  it("adds, changes and removes schedules as the gateway's functions change", async () => {
    const { gateway, connector, fresh } = setup();
    gateway.functions.set("openfaas-fn", [cronFunction("janitor", "*/15 * * * *"), { name: "web", image: "x", annotations: { topic: "http" } }, { name: "plain", image: "x" }]);
    gateway.functions.set("dev", [cronFunction("report", "0 9 * * 1-5")]);
    await connector.start();
    expect(fresh().filter((l) => /^(Added|Removed)/.test(l)).sort()).toEqual(["Added: janitor.openfaas-fn [*/15 * * * *]", "Added: report.dev [0 9 * * 1-5]"]);

    // Nothing changed: nothing logged.
    await connector.rebuild();
    expect(fresh()).toEqual([]);

    // A changed schedule is a removal and an addition; a removed function goes.
    gateway.functions.set("openfaas-fn", [cronFunction("janitor", "0 * * * *")]);
    gateway.functions.set("dev", []);
    await connector.rebuild();
    expect(fresh()).toEqual(["Removed: janitor.openfaas-fn [*/15 * * * *]", "Added: janitor.openfaas-fn [0 * * * *]", "Removed: report.dev [0 9 * * 1-5]"]);
    expect(connector.scheduled.map((f) => `${f.name}.${f.namespace} ${f.schedule.spec}`)).toEqual(["janitor.openfaas-fn 0 * * * *"]);

    // A namespace that disappears takes its schedules with it (the Go connector keeps them).
    gateway.functions.delete("openfaas-fn");
    await connector.rebuild();
    expect(fresh()).toEqual(["Removed: janitor.openfaas-fn [0 * * * *]"]);
    await connector.stop();
  });

  it("parses an expression when it appears or changes, not on every rebuild", async () => {
    const { gateway, connector } = setup();
    gateway.functions.set("dev", [cronFunction("report", "@hourly")]);
    await connector.start();
    const running = connector.scheduled[0]!.schedule;
    gateway.functions.set("dev", [cronFunction("report", "@hourly", { envVars: { jwt_auth: "true" } })]);
    await connector.rebuild();
    expect(connector.scheduled[0]!.jwtAuth).toBe(true);
    expect(connector.scheduled[0]!.schedule).toBe(running);
    gateway.functions.set("dev", [cronFunction("report", "@daily")]);
    await connector.rebuild();
    expect(connector.scheduled[0]!.schedule).not.toBe(running);
    expect(connector.scheduled[0]!.schedule.spec).toBe("@daily");
    await connector.stop();
  });

  it("accepts topic lists holding cron-function (the Pro connector's form)", async () => {
    const { gateway, connector } = setup();
    gateway.functions.set("dev", [{ ...cronFunction("a", "@hourly"), annotations: { topic: "kafka.orders, cron-function", schedule: "@hourly" } }]);
    await connector.start();
    expect(connector.scheduled.map((f) => f.name)).toEqual(["a"]);
    await connector.stop();
  });

  it("skips a bad expression with one line naming function and expression, until it is fixed", async () => {
    const { gateway, connector, fresh } = setup();
    gateway.functions.set("dev", [cronFunction("typo", "*/15 * * *"), cronFunction("nosched", undefined), cronFunction("feb30", "0 0 30 2 *"), cronFunction("ok", "@daily")]);
    await connector.start();
    const first = fresh().filter((l) => !/^(Gateway URL|Async|Rebuild|Namespaces|Schedule clock)/.test(l));
    expect(first).toEqual([
      'Skipped: typo.dev: bad schedule "*/15 * * *": expected exactly 5 fields (minute hour day-of-month month day-of-week), found 4',
      "Skipped: nosched.dev has topic cron-function but no schedule annotation",
      'Skipped: feb30.dev: schedule "0 0 30 2 *" has no activation left',
      "Added: ok.dev [@daily]",
    ]);
    for (let i = 0; i < 5; i++) await connector.rebuild();
    expect(fresh()).toEqual([]);
    gateway.functions.set("dev", [cronFunction("typo", "*/15 * * * *"), cronFunction("ok", "@daily")]);
    await connector.rebuild();
    expect(fresh()).toEqual(["Added: typo.dev [*/15 * * * *]"]);
    // Broken again: logged again (a new problem), and the old schedule goes.
    gateway.functions.set("dev", [cronFunction("typo", "61 * * * *"), cronFunction("ok", "@daily")]);
    await connector.rebuild();
    expect(fresh()).toEqual(['Skipped: typo.dev: bad schedule "61 * * * *": minute "61": 61 is above the maximum 59', "Removed: typo.dev [*/15 * * * *]"]);
    await connector.stop();
  });

  it("a denied namespace: one line, its schedules dropped, no line per rebuild, one line when allowed again", async () => {
    const { gateway, connector, fresh } = setup();
    gateway.functions.set("dev", [cronFunction("report", "@hourly")]);
    gateway.functions.set("staging", [cronFunction("sync", "@hourly")]);
    await connector.start();
    fresh();
    gateway.denied.add("dev");
    const report = await connector.rebuild();
    expect(report).toEqual({ listed: ["staging"], denied: ["dev"], failed: [] });
    expect(fresh()).toEqual([
      "Namespace dev: the gateway refused to list its functions (403: forbidden: may not Function:List on dev:*); skipped until the connector's Policy grants Function:List on dev:*",
      "Removed: report.dev [@hourly]",
    ]);
    for (let i = 0; i < 10; i++) await connector.rebuild();
    expect(fresh()).toEqual([]);
    gateway.denied.delete("dev");
    await connector.rebuild();
    expect(fresh()).toEqual(["Namespace dev: listing functions works again", "Added: report.dev [@hourly]"]);
    await connector.stop();
  });

  it("a configured namespace list replaces Namespace:List; a denied one is skipped the same way", async () => {
    const { gateway, connector, fresh } = setup({ namespaces: "staging, dev" });
    gateway.namespacesDenied = true;
    gateway.functions.set("staging", [cronFunction("sync", "@hourly")]);
    gateway.denied.add("dev");
    await connector.start();
    expect(gateway.listCalls).toBe(0);
    expect(fresh().filter((l) => /^(Added|Namespace )/.test(l))).toEqual([
      "Added: sync.staging [@hourly]",
      expect.stringMatching(/^Namespace dev: the gateway refused to list its functions \(403: /),
    ]);
    await connector.stop();
  });

  it("a refused namespace listing schedules nothing; a failing gateway keeps the schedule (one line down, one line back)", async () => {
    const { gateway, connector, fresh, clock } = setup();
    gateway.functions.set("openfaas-fn", [cronFunction("janitor", "*/15 * * * *")]);
    await connector.start();
    fresh();
    gateway.down = true;
    const report = await connector.rebuild();
    expect(report.failed).toEqual(["*"]);
    for (let i = 0; i < 3; i++) await connector.rebuild();
    expect(fresh()).toEqual([
      "Namespaces: listing failed (ERR_NETWORK: GET /system/namespaces: network error ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:8080); keeping the 1 scheduled function(s) and retrying every rebuild",
    ]);
    // The schedule keeps running while the gateway's API cannot be listed.
    clock.advanceTo("2026-01-01T00:15:00Z");
    await settle();
    expect(gateway.invocations.map((i) => i.name)).toEqual(["janitor"]);
    gateway.down = false;
    await connector.rebuild();
    expect(fresh().filter((l) => l.startsWith("Namespaces"))).toEqual(["Namespaces: listing works again"]);

    gateway.namespacesDenied = true;
    await connector.rebuild();
    expect(fresh()).toEqual([
      "Namespaces: the gateway refused to list them (403: forbidden: may not Namespace:List on *); nothing is scheduled until the connector's Policy grants Namespace:List",
      "Removed: janitor.openfaas-fn [*/15 * * * *]",
    ]);
    await connector.stop();
  });

  it("the rebuild loop runs every rebuild_interval on its clock and stops with the connector", async () => {
    const { gateway, connector, clock } = setup({ rebuild_interval: "30s" });
    gateway.functions.set("dev", []);
    await connector.start();
    expect(gateway.listCalls).toBe(1);
    for (let i = 0; i < 3; i++) {
      clock.advance(30_000);
      await settle();
    }
    expect(gateway.listCalls).toBe(4);
    await connector.stop();
    clock.advance(300_000);
    await settle();
    expect(gateway.listCalls).toBe(4);
    expect(clock.pending).toBe(0);
  });
});

describe("invocations", () => {
  async function fireOnce(env: Record<string, string>, status: Partial<Parameters<typeof cronFunction>[2]> = {}, answer?: FakeGateway["answer"]) {
    const s = setup(env);
    s.gateway.functions.set("openfaas-fn", [cronFunction("janitor", "*/15 * * * *", status)]);
    if (answer) s.gateway.answer = answer;
    await s.connector.start();
    s.fresh();
    s.clock.advanceTo("2026-01-01T00:15:00Z");
    await settle();
    await s.connector.stop();
    return s;
  }

  it("POSTs with no body, X-Topic and X-Connector, sync, no function token, and logs Invoking then Response (status, bytes, duration)", async () => {
    const { gateway, fresh } = await fireOnce({});
    expect(gateway.invocations).toHaveLength(1);
    const { name, namespace, request, options } = gateway.invocations[0]!;
    expect({ name, namespace }).toEqual({ name: "janitor", namespace: "openfaas-fn" });
    expect(request).toEqual({ async: false, headers: { "x-topic": "cron-function", "x-connector": "cron-connector" }, functionAuth: false, throwHttpErrors: false } satisfies InvokeRequest);
    expect(request.body).toBeUndefined();
    expect(options).toEqual({ timeoutMs: Infinity });
    expect(fresh()).toEqual(["Invoking: janitor.openfaas-fn [*/15 * * * *]", expect.stringMatching(/^Response: janitor\.openfaas-fn \[200\] 2 bytes \(\d+ms\)$/)]);
  });

  it("async, with content_type and upstream_timeout: /async-function/, the call id logged", async () => {
    const { gateway, fresh } = await fireOnce({ asynchronous_invocation: "true", content_type: "text/plain", upstream_timeout: "2m" }, {}, () => ({
      status: 202,
      headers: { "x-call-id": "c-1" },
      body: Buffer.alloc(0),
      callId: "c-1",
    }));
    expect(gateway.invocations[0]!.request).toMatchObject({ async: true, headers: { "content-type": "text/plain" } });
    expect(gateway.invocations[0]!.options).toEqual({ timeoutMs: 120_000 });
    expect(fresh()[1]).toMatch(/^Response: janitor\.openfaas-fn \[202\] 0 bytes \(\d+ms\) call-id c-1$/);
  });

  it("a function listed with jwt_auth=true gets a function token", async () => {
    const { gateway, lines } = await fireOnce({}, { envVars: { jwt_auth: "true" } });
    expect(gateway.invocations[0]!.request.functionAuth).toBe(true);
    expect(lines).toContain("Added: janitor.openfaas-fn [*/15 * * * *] with a function token (jwt_auth)");
  });

  it("function_auth=always sends one to every function", async () => {
    const { gateway } = await fireOnce({ function_auth: "always" });
    expect(gateway.invocations[0]!.request.functionAuth).toBe(true);
  });

  it("a 401 from the watchdog asking for a function token: retried at once with one, and remembered", async () => {
    const s = setup();
    s.gateway.functions.set("openfaas-fn", [cronFunction("janitor", "*/15 * * * *")]);
    s.gateway.answer = (_n, _ns, request) =>
      request.functionAuth
        ? { status: 200, headers: {}, body: Buffer.from("{}") }
        : { status: 401, headers: { "www-authenticate": "Bearer realm=IAM function invoke" }, body: Buffer.from("unauthorized") };
    await s.connector.start();
    s.fresh();
    s.clock.advanceTo("2026-01-01T00:15:00Z");
    await settle();
    s.clock.advanceTo("2026-01-01T00:30:00Z");
    await settle();
    await s.connector.stop();
    expect(s.gateway.invocations.map((i) => i.request.functionAuth)).toEqual([false, true, true]);
    expect(s.fresh()).toEqual([
      "Invoking: janitor.openfaas-fn [*/15 * * * *]",
      "Function auth: janitor.openfaas-fn answered 401 for a function token (jwt_auth); invoking it with one from now on",
      expect.stringMatching(/^Response: janitor\.openfaas-fn \[200\] 2 bytes/),
      "Invoking: janitor.openfaas-fn [*/15 * * * *]",
      expect.stringMatching(/^Response: janitor\.openfaas-fn \[200\] 2 bytes/),
    ]);
  });

  it("a plain 401 (no function-auth challenge) is logged as the function's answer, not retried", async () => {
    const { gateway, fresh } = await fireOnce({}, {}, () => ({ status: 401, headers: {}, body: Buffer.from("no") }));
    expect(gateway.invocations).toHaveLength(1);
    expect(fresh()[1]).toMatch(/^Response: janitor\.openfaas-fn \[401\] 2 bytes/);
  });

  it("a failed invocation is one Error line with the SDK's code; a refused function token says which grant is missing", async () => {
    const down = await fireOnce({}, {}, () => {
      throw gatewayStatusError(502, "bad gateway");
    });
    expect(down.fresh()[1]).toMatch(/^Error: janitor\.openfaas-fn after \d+ms: ERR_UNEXPECTED_STATUS: /);

    const refused = await fireOnce({}, { envVars: { jwt_auth: "1" } }, () => {
      throw Object.assign(gatewayStatusError(400, "invalid_target"), {});
    });
    expect(refused.fresh()[1]).toMatch(/^Error: janitor\.openfaas-fn after \d+ms: /);
  });
});
