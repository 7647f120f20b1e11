/**
 * The server as a process, started as the watchdog starts it (`node dist/main.js`): the SIGTERM
 * window (grace, quiet period, drain deadline), the parent's exit, start-up failures, and what the
 * plain handler path does not load.
 */
import { execFileSync, spawn } from "node:child_process";
import { Agent } from "node:http";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, TEMPLATE_DIR } from "./support/faas-build.js";
import { HANDLERS } from "./support/in-process.js";
import { alive, cleanEnv, freePort, send, startChild, type ChildServer } from "./support/process.js";

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
    args: ["dist/main.js"],
    cwd: TEMPLATE_DIR,
    env: { HANDLER_PATH: join(HANDLERS, handler), ...env },
    waitReady,
  });
  children.push(child);
  return child;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What the watchdog passes on to the process it starts (its own fprocess): the server then expects a forwarder. */
const BEHIND_WATCHDOG = { fprocess: "node dist/main.js" };

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(10);
  }
}

describe("SIGTERM", () => {
  it("keeps serving as usual for healthcheck_interval (not ready, closing connections), then finishes in-flight work and exits 0", async () => {
    const server = await start("scenarios.mjs", { ...BEHIND_WATCHDOG, healthcheck_interval: "1s", write_timeout: "20s" });
    const inFlight = send(server.port, { path: "/slow?ms=2000" });
    await sleep(100);
    server.child.kill("SIGTERM");
    await waitFor(() => server.stderr().includes("SIGTERM: not ready any more; serving as usual for 1000 ms"));
    // A request the watchdog forwards during its healthcheck_interval gets a real answer.
    const late = await send(server.port, { path: "/string" });
    expect([late.status, late.headers["connection"]]).toEqual([200, "close"]);
    expect((await send(server.port, { path: "/_/ready" })).status).toBe(503);
    await waitFor(() => server.stderr().includes("draining"));
    // The grace is over, and the listener is still open: the watchdog may still forward a request it
    // accepted just before its own grace ended.
    expect((await send(server.port, { path: "/string" })).status).toBe(200);
    const answer = await inFlight;
    expect([answer.status, JSON.parse(answer.text)]).toEqual([200, { slept: 2000 }]);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toContain("drained, exiting");
  });

  it("behind the watchdog, takes write_timeout as the grace when healthcheck_interval is unset, as the watchdog does", async () => {
    const server = await start("scenarios.mjs", { ...BEHIND_WATCHDOG, write_timeout: "1500ms" });
    server.child.kill("SIGTERM");
    await waitFor(() => server.stderr().includes("serving as usual for 1500 ms"));
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });

  it("behind the watchdog, closes the listener once no request has arrived for the quiet period after the grace", async () => {
    const server = await start("scenarios.mjs", { ...BEHIND_WATCHDOG, healthcheck_interval: "0", write_timeout: "20s" });
    server.child.kill("SIGTERM");
    await waitFor(() => server.stderr().includes("draining"));
    expect((await send(server.port, { path: "/string" })).status).toBe(200);
    await waitFor(() => server.stderr().includes("drained, exiting"));
    await expect(send(server.port, { path: "/string" })).rejects.toThrow(/ECONNREFUSED/);
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });

  it("without a watchdog, stops accepting at once, lets the in-flight request finish, then exits 0", async () => {
    const server = await start("scenarios.mjs", { write_timeout: "20s" });
    const inFlight = send(server.port, { path: "/slow?ms=1000" });
    await sleep(150);
    server.child.kill("SIGTERM");
    await waitFor(() => server.stderr().includes("draining: the listener closes now"));
    await expect(send(server.port, { path: "/string" })).rejects.toThrow(/ECONNREFUSED/);
    const answer = await inFlight;
    expect([answer.status, JSON.parse(answer.text)]).toEqual([200, { slept: 1000 }]);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toContain("drained, exiting");
  });

  it("does not wait for idle keep-alive connections", async () => {
    const server = await start("scenarios.mjs", { healthcheck_interval: "0", write_timeout: "60s" });
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
    const server = await start("scenarios.mjs", { healthcheck_interval: "0", write_timeout: "60s" });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const inFlight = send(server.port, { path: "/slow?ms=1500", agent });
      await sleep(100);
      server.child.kill("SIGTERM");
      expect((await inFlight).status).toBe(200);
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(server.stderr()).toContain("drained, exiting");
    } finally {
      agent.destroy();
    }
  });

  it("ends the grace early on a second signal", async () => {
    const server = await start("scenarios.mjs", { healthcheck_interval: "10m", write_timeout: "20s" });
    server.child.kill("SIGTERM");
    await waitFor(() => server.stderr().includes("serving as usual"));
    server.child.kill("SIGINT");
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toContain("drained, exiting");
  });

  it("gives up on requests still running at write_timeout, and still exits 0", async () => {
    const server = await start("scenarios.mjs", { healthcheck_interval: "0", write_timeout: "2s" });
    const stuck = send(server.port, { path: "/slow?ms=30000" });
    await sleep(100);
    server.child.kill("SIGTERM");
    await expect(stuck).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toContain("drain deadline (write_timeout) reached");
  });
});

describe("parent process", () => {
  it("exits when its parent (the watchdog) is gone, instead of serving on as an orphan", async () => {
    const port = await freePort();
    // sh stands in for the watchdog: it starts the server and reports its pid, then is killed.
    const parent = spawn("sh", ["-c", `"${process.execPath}" dist/main.js & echo $!; wait`], {
      cwd: TEMPLATE_DIR,
      env: cleanEnv({ HANDLER_PATH: join(HANDLERS, "scenarios.mjs"), http_port: String(port) }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    parent.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    parent.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => output.includes("listening on"));
    const pid = Number(/^(\d+)$/m.exec(output)?.[1]);
    expect((await send(port, { path: "/string" })).status).toBe(200);
    parent.kill("SIGKILL");
    await waitFor(() => !alive(pid), 5_000);
    expect(output).toContain("the parent process (the watchdog) exited: exiting");
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

  it("does not load express, qs or mime-types on the plain handler path until a request needs them", async () => {
    const server = await start("module-probe.mjs");
    const first = await send(server.port, { method: "POST", path: "/?type=text/plain", headers: { "content-type": "application/json" }, body: "{}" });
    expect(JSON.parse(first.text)).toEqual({ express: false, qs: false, mimeTypes: false, body: {} });
    const form = await send(server.port, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "a=1" });
    expect(JSON.parse(form.text)).toEqual({ express: false, qs: true, mimeTypes: false, body: { a: "1" } });
    // A type whose default charset only mime-types' table knows.
    await send(server.port, { path: "/?type=application/xml" });
    expect(JSON.parse((await send(server.port)).text)).toMatchObject({ express: false, mimeTypes: true });
  });

  it("listens on 127.0.0.1 only, at http_port", async () => {
    const server = await start("named-handle.mjs");
    expect(server.stderr()).toContain(`listening on 127.0.0.1:${server.port}`);
  });
});
