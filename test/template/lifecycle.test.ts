/**
 * The server as a process, started as the watchdog starts it (`node dist/index.js`): SIGTERM drain,
 * the drain deadline, start-up failures, and what the plain handler path does not load.
 */
import { execFileSync } from "node:child_process";
import { Agent } from "node:http";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, TEMPLATE_DIR } from "./support/faas-build.js";
import { HANDLERS } from "./support/in-process.js";
import { send, startChild, type ChildServer } from "./support/process.js";

const children: ChildServer[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

beforeAll(() => {
  // The child processes run the compiled server: make sure it is current (incremental, quick when it is).
  execFileSync(join(REPO_ROOT, "node_modules/.bin/tsc"), ["-b", "--builders", "1", TEMPLATE_DIR], { cwd: REPO_ROOT, stdio: "pipe" });
}, 60_000);

async function start(handler: string, env: Record<string, string> = {}, waitReady = true): Promise<ChildServer> {
  const child = await startChild({
    command: process.execPath,
    args: ["dist/index.js"],
    cwd: TEMPLATE_DIR,
    env: { HANDLER_PATH: join(HANDLERS, handler), ...env },
    waitReady,
  });
  children.push(child);
  return child;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(10);
  }
}

describe("SIGTERM", () => {
  it("stops accepting, lets the in-flight request finish, then exits 0", async () => {
    const server = await start("scenarios.mjs", { write_timeout: "20s" });
    const inFlight = send(server.port, { path: "/slow?ms=1000" });
    await sleep(150);
    server.child.kill("SIGTERM");
    // The server logs the drain, then closes its listener in the same tick.
    await waitFor(() => server.stderr().includes("SIGTERM: draining"));
    await expect(send(server.port, { path: "/string" })).rejects.toThrow(/ECONNREFUSED/);
    const answer = await inFlight;
    expect([answer.status, JSON.parse(answer.text)]).toEqual([200, { slept: 1000 }]);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toContain("SIGTERM: draining");
    expect(server.stderr()).toContain("drained, exiting");
  });

  it("does not wait for idle keep-alive connections", async () => {
    const server = await start("scenarios.mjs", { write_timeout: "60s" });
    const agent = new Agent({ keepAlive: true });
    try {
      expect((await send(server.port, { path: "/string", agent })).status).toBe(200);
      server.child.kill("SIGTERM");
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(server.stderr()).toContain("drained, exiting");
    } finally {
      agent.destroy();
    }
  });

  it("finishes in-flight requests on a keep-alive connection and closes it afterwards", async () => {
    const server = await start("scenarios.mjs", { write_timeout: "60s" });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const inFlight = send(server.port, { path: "/slow?ms=400", agent });
      await sleep(100);
      server.child.kill("SIGTERM");
      expect((await inFlight).status).toBe(200);
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(server.stderr()).toContain("drained, exiting");
    } finally {
      agent.destroy();
    }
  });

  it("keeps serving for healthcheck_interval (not ready, closing connections) while the watchdog stops routing, then drains", async () => {
    const server = await start("scenarios.mjs", { healthcheck_interval: "1s", write_timeout: "20s" });
    server.child.kill("SIGTERM");
    await waitFor(() => server.stderr().includes("SIGTERM: still serving for 1000 ms"));
    // A request the watchdog forwards during its healthcheck_interval still gets a real answer.
    const late = await send(server.port, { path: "/string" });
    expect(late.status).toBe(200);
    expect(late.headers["connection"]).toBe("close");
    expect((await send(server.port, { path: "/_/ready" })).status).toBe(503);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toContain("drained, exiting");
  });

  it("ends the grace early on a second signal", async () => {
    const server = await start("scenarios.mjs", { healthcheck_interval: "10m", write_timeout: "20s" });
    server.child.kill("SIGTERM");
    await waitFor(() => server.stderr().includes("still serving"));
    server.child.kill("SIGINT");
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toContain("drained, exiting");
  });

  it("gives up on requests still running at write_timeout, and still exits 0", async () => {
    const server = await start("scenarios.mjs", { write_timeout: "300ms" });
    const stuck = send(server.port, { path: "/slow?ms=10000" });
    await sleep(100);
    server.child.kill("SIGTERM");
    await expect(stuck).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toContain("drain deadline reached");
  });
});

describe("start-up", () => {
  it("exits 1 with the reason when the handler module fails to load", async () => {
    const server = await start("throws-on-load.mjs", {}, false);
    expect((await server.exited).code).toBe(1);
    expect(server.stderr()).toContain("cannot initialise: missing configuration");
  });

  it("exits 1 naming the setting when a size is invalid", async () => {
    const server = await start("scenarios.mjs", { MAX_JSON_SIZE: "lots" }, false);
    expect((await server.exited).code).toBe(1);
    expect(server.stderr()).toContain('MAX_JSON_SIZE: "lots" is not a size');
  });

  it("does not load express or qs on the plain handler path until a form body needs qs", async () => {
    const server = await start("module-probe.mjs");
    const first = await send(server.port, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(JSON.parse(first.text)).toEqual({ express: false, qs: false, body: {} });
    const form = await send(server.port, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "a=1" });
    expect(JSON.parse(form.text)).toEqual({ express: false, qs: true, body: { a: "1" } });
  });

  it("listens on 127.0.0.1 only, at http_port", async () => {
    const server = await start("named-handle.mjs");
    expect(server.stderr()).toContain(`listening on 127.0.0.1:${server.port}`);
  });
});
