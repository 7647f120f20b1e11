/**
 * Handler modules: the export shapes the server accepts (ESM default, named `handle`, CommonJS,
 * an Express router), clear failures for modules it cannot use, readiness, and configuration parsing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ENTRY_RECORD_FILE } from "../../template/node-ts-iam/src/entry-record.js";
import { startServer } from "../../template/node-ts-iam/src/server.js";
import { parseDuration, parseSize, readSettings } from "../../template/node-ts-iam/src/settings.js";
import { TEMPLATE_DIR } from "./support/faas-build.js";
import { expectErrorAnswer } from "./support/error-shape.js";
import { HANDLERS, serve, type InProcess } from "./support/in-process.js";
import { send } from "./support/process.js";

const json = (text: string): unknown => JSON.parse(text);

describe("handler module shapes", () => {
  const open: InProcess[] = [];
  const start = async (file: string): Promise<InProcess> => {
    const app = await serve(file);
    open.push(app);
    return app;
  };
  beforeAll(() => void vi.spyOn(console, "error").mockImplementation(() => undefined));
  afterAll(async () => {
    await Promise.all(open.map((app) => app.close()));
    vi.restoreAllMocks();
  });

  it("uses a named `handle` export", async () => {
    const app = await start("named-handle.mjs");
    expect(json((await send(app.port, { method: "PATCH" })).text)).toEqual({ named: true, method: "PATCH" });
  });

  it("runs an unported CommonJS node22 handler (module.exports)", async () => {
    const app = await start("commonjs.cjs");
    const answer = await send(app.port, { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":1}' });
    expect(json(answer.text)).toEqual({ commonjs: true, body: { a: 1 } });
  });

  it("runs `export default` compiled to CommonJS (exports.default), as tsc emits for a package without \"type\"", async () => {
    const app = await start("exports-default.cjs");
    expect(json((await send(app.port, { method: "PUT" })).text)).toEqual({ compiled: "commonjs", method: "PUT" });
  });

  it("explains a CommonJS handler that its package.json makes an ES module", async () => {
    const settings = readSettings({ http_port: "0", HANDLER_PATH: join(HANDLERS, "esm-package/handler.js") }, join(TEMPLATE_DIR, "dist"));
    const running = await startServer(settings);
    try {
      await expect(running.loaded).rejects.toThrow(/module is not defined in ES module scope[\s\S]*remove "type": "module"/);
    } finally {
      running.server.close();
    }
  });

  it("resolves @node-ts-iam/sdk from a handler by its bare specifier", async () => {
    const app = await start("sdk-import.mjs");
    expect(json((await send(app.port)).text)).toEqual({ gatewayClient: "function" });
  });

  describe("an exported Express router (the compatibility path)", () => {
    let app: InProcess;
    beforeAll(async () => {
      app = await start("router.mjs");
    });

    it("routes with params and the query", async () => {
      const answer = await send(app.port, { path: "/items/7?full=yes" });
      expect(answer.status).toBe(200);
      expect(json(answer.text)).toEqual({ id: "7", query: { full: "yes" } });
      // Express tags answers by default; the template only with ETAG=true, on this path too.
      expect(answer.headers["etag"]).toBeUndefined();
    });

    it("hands over the body parsed by the node22 rules", async () => {
      const answer = await send(app.port, { method: "POST", path: "/items", headers: { "content-type": "application/json" }, body: '{"name":"x"}' });
      expect([answer.status, json(answer.text)]).toEqual([201, { created: { name: "x" } }]);
      const bad = await send(app.port, { method: "POST", path: "/items", headers: { "content-type": "application/json" }, body: "{" });
      expectErrorAnswer(bad, { status: 400, code: "MALFORMED_JSON", message: /^malformed JSON body/ });
    });

    it("answers unknown routes and route errors in the error contract's shape (404 ROUTE_NOT_FOUND, the kit's code; 500 INTERNAL)", async () => {
      expectErrorAnswer(await send(app.port, { path: "/nowhere" }), { status: 404, code: "ROUTE_NOT_FOUND", message: "no route for GET /nowhere" });
      expectErrorAnswer(await send(app.port, { path: "/boom" }), { status: 500, code: "INTERNAL", message: "route failed" });
    });

    it("answers a route error with the status and the code it carries, by the same rule as a handler's", async () => {
      expectErrorAnswer(await send(app.port, { path: "/teapot" }), { status: 418, code: "TEAPOT", message: "short and stout" });
      expectErrorAnswer(await send(app.port, { path: "/node-error" }), { status: 500, code: "INTERNAL", message: "internal error" });
    });
  });

  it("refuses a module without a handler export, saying what to export", async () => {
    const settings = readSettings({ http_port: "0", HANDLER_PATH: join(HANDLERS, "no-handler.mjs") }, join(TEMPLATE_DIR, "dist"));
    const running = await startServer(settings);
    try {
      await expect(running.loaded).rejects.toThrow(/exports no handler: use `module.exports = async \(event, context\) => \.\.\.`, `export default`/);
      expectErrorAnswer(await send(running.port, { path: "/_/ready" }), { status: 503, code: "NOT_READY", message: "handler not loaded yet" });
      expectErrorAnswer(await send(running.port, { path: "/work" }), { status: 503, code: "NOT_READY", message: "handler failed to load" });
    } finally {
      running.server.close();
    }
  });

  it("reports a module that throws while loading", async () => {
    const settings = readSettings({ http_port: "0", HANDLER_PATH: join(HANDLERS, "throws-on-load.mjs") }, join(TEMPLATE_DIR, "dist"));
    const running = await startServer(settings);
    try {
      await expect(running.loaded).rejects.toThrow(/cannot load the handler module .*cannot initialise: missing configuration/);
    } finally {
      running.server.close();
    }
  });
});

describe("readiness", () => {
  it("answers 503 while the handler loads, then 200; requests that arrive meanwhile wait and are served", async () => {
    const settings = readSettings({ http_port: "0", HANDLER_PATH: join(HANDLERS, "slow-load.mjs") }, join(TEMPLATE_DIR, "dist"));
    // slow-load.mjs reads its delay from the process environment when imported.
    process.env["LOAD_DELAY_MS"] = "1000";
    const running = await startServer(settings);
    try {
      const early = await send(running.port, { path: "/_/ready" });
      expectErrorAnswer(early, { status: 503, code: "NOT_READY", message: "handler not loaded yet" });
      const waiting = send(running.port, { path: "/work" });
      await running.loaded;
      expect(json((await waiting).text)).toEqual({ loaded: true });
      expect((await send(running.port, { path: "/_/ready?probe=1" })).status).toBe(200);
    } finally {
      delete process.env["LOAD_DELAY_MS"];
      running.server.close();
    }
  });

  it("answers readiness at a custom ready_path", async () => {
    const app = await serve("named-handle.mjs", { ready_path: "healthz" });
    try {
      expect((await send(app.port, { path: "/healthz" })).status).toBe(200);
      expect(json((await send(app.port, { path: "/_/ready" })).text)).toEqual({ named: true, method: "GET" });
    } finally {
      await app.close();
    }
  });
});

describe("configuration", () => {
  it("parses sizes as body-parser does (1024-based units)", () => {
    expect(parseSize("X", "100kb", 0)).toBe(102_400);
    expect(parseSize("X", "1MB", 0)).toBe(1_048_576);
    expect(parseSize("X", "1.5kb", 0)).toBe(1536);
    expect(parseSize("X", "2048", 0)).toBe(2048);
    expect(parseSize("X", undefined, 7)).toBe(7);
    expect(() => parseSize("MAX_JSON_SIZE", "lots", 0)).toThrow('MAX_JSON_SIZE: "lots" is not a size');
  });

  it("parses durations as the watchdog does (Go syntax or seconds)", () => {
    expect(parseDuration("X", "10s", 0)).toBe(10_000);
    expect(parseDuration("X", "1m30s", 0)).toBe(90_000);
    expect(parseDuration("X", "500ms", 0)).toBe(500);
    expect(parseDuration("X", "15", 0)).toBe(15_000);
    expect(parseDuration("X", "", 3)).toBe(3);
    expect(() => parseDuration("write_timeout", "soon", 0)).toThrow('write_timeout: "soon" is not a duration');
    expect(() => parseDuration("write_timeout", "10s!", 0)).toThrow(/not a duration/);
  });

  it("defaults to node22's settings and the template layout", () => {
    const settings = readSettings({}, "/srv/app/dist");
    expect(settings).toMatchObject({
      port: 3000,
      host: "127.0.0.1",
      readyPath: "/_/ready",
      rawBody: false,
      maxRawSize: 102_400,
      maxJsonSize: 102_400,
      maxTextSize: 102_400,
      etag: false,
      drainTimeoutMs: 10_000,
      handlerPath: "/srv/app/function/dist/handler.js",
    });
    expect(readSettings({ ETAG: "true" }, "/srv/app/dist").etag).toBe(true);
    expect(() => readSettings({ ETAG: "yes" }, "/srv")).toThrow('ETAG: "yes" is not true or false');
    expect(readSettings({ HANDLER_PATH: "functions/x/dist/handler.js" }, "/srv/app/dist").handlerPath).toBe(join(process.cwd(), "functions/x/dist/handler.js"));
    expect(() => readSettings({ http_port: "eighty" }, "/srv")).toThrow(/http_port/);
  });

  it("behind the watchdog, takes healthcheck_interval from write_timeout when it is unset, as of-watchdog does", () => {
    const watchdog = { fprocess: "node dist/main.bundle.js" };
    expect(readSettings(watchdog, "/srv/app/dist")).toMatchObject({ behindWatchdog: true, shutdownGraceMs: 10_000 });
    expect(readSettings({ ...watchdog, write_timeout: "15s" }, "/srv/app/dist").shutdownGraceMs).toBe(15_000);
    expect(readSettings({ ...watchdog, write_timeout: "15s", healthcheck_interval: "2s" }, "/srv/app/dist").shutdownGraceMs).toBe(2000);
    expect(readSettings({ ...watchdog, write_timeout: "15s", healthcheck_interval: "0" }, "/srv/app/dist").shutdownGraceMs).toBe(0);
    expect(readSettings({ function_process: "node x.js" }, "/srv/app/dist").behindWatchdog).toBe(true);
  });

  it("without a watchdog (the sandbox, a plain process), has no grace unless healthcheck_interval says so", () => {
    expect(readSettings({ write_timeout: "15s" }, "/srv/app/dist")).toMatchObject({ behindWatchdog: false, shutdownGraceMs: 0 });
    expect(readSettings({ healthcheck_interval: "3s" }, "/srv/app/dist").shutdownGraceMs).toBe(3000);
  });

  describe("the handler the image build recorded", () => {
    const app = mkdtempSync(join(tmpdir(), "node-ts-iam-entry-"));
    afterAll(() => rmSync(app, { recursive: true, force: true }));
    const record = (text: string): void => {
      mkdirSync(join(app, "function"), { recursive: true });
      writeFileSync(join(app, "function", ENTRY_RECORD_FILE), text);
    };

    it("is loaded from function/ when HANDLER_PATH is unset", () => {
      record('{"entry":"handler.js","source":"handler.js"}');
      expect(readSettings({}, join(app, "dist")).handlerPath).toBe(join(app, "function/handler.js"));
      expect(readSettings({ HANDLER_PATH: "/elsewhere/h.js" }, join(app, "dist")).handlerPath).toBe("/elsewhere/h.js");
    });

    it("stops the start naming the record when it is damaged or points outside the function folder", () => {
      for (const text of ["{not json", '{"entry":"../../etc/passwd","source":"x"}', '{"entry":"/abs.js","source":"x"}', '{"source":"x"}']) {
        record(text);
        expect(() => readSettings({}, join(app, "dist")), text).toThrow(`${join(app, "function", ENTRY_RECORD_FILE)}`);
      }
    });
  });
});
