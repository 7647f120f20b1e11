/**
 * The template server behind the real of-watchdog 0.10.1 (../shared/peers), in the shipped layout of
 * a built node22 folder: proxying, error answers in the contract's shape, readiness and `/_/health`,
 * `exec_timeout` giving 504, and SIGTERM under load (requests in flight, `healthcheck_interval` set and
 * unset) with no failed answer. The watchdog is one per machine (its metrics port is fixed), so the
 * tests run one at a time in this file and stop it in afterAll/finally.
 */
import { request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { faasCliBuild, type FaasBuild } from "../template/support/faas-build.js";
import { expectErrorAnswer } from "../template/support/error-shape.js";
import { alive } from "../template/support/process.js";
import { childPids, freePort, startWatchdog, type Watchdog } from "./support/peers.js";

const FIXTURE = join(import.meta.dirname, "fixtures/slow-echo");
// Made in beforeAll, so that collecting the tests (vitest list) leaves nothing in /tmp.
let work: string;
let build: FaasBuild;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "node-ts-iam-watchdog-fn-"));
  build = await faasCliBuild({ workDir: work, name: "slow-echo", handlerDir: FIXTURE, log: () => {} });
}, 240_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The watchdog with the image's settings, in front of the shipped server on a free port. */
async function startFunction(env: Record<string, string>): Promise<{ watchdog: Watchdog; functionPid: number }> {
  const port = await freePort();
  const shipEnv = { ...build.shipEnv };
  delete shipEnv["healthcheck_interval"];
  // The image's fprocess, with this Node for "node".
  const fprocess = build.fprocess.replace(/^node\b/, process.execPath);
  const watchdog = await startWatchdog({
    cwd: build.shipDir,
    env: { ...shipEnv, fprocess, upstream_url: `http://127.0.0.1:${port}`, http_port: String(port), ...env },
  });
  const [functionPid] = childPids(watchdog.child.pid as number);
  if (functionPid === undefined) throw new Error(`the watchdog started no function process:\n${watchdog.logs()}`);
  return { watchdog, functionPid };
}

interface Result {
  start: number;
  end: number;
  status?: number;
  body?: string;
  error?: string;
}

/** One request on a new connection; never rejects. */
function call(port: number, path: string, body?: string): Promise<Result> {
  const start = Date.now();
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, method: body === undefined ? "GET" : "POST", agent: false, headers: body === undefined ? {} : { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ start, end: Date.now(), status: res.statusCode ?? 0, body: text }));
      res.on("error", (error: NodeJS.ErrnoException) => resolve({ start, end: Date.now(), error: error.code ?? error.message }));
    });
    req.on("error", (error: NodeJS.ErrnoException) => resolve({ start, end: Date.now(), error: error.code ?? error.message }));
    req.end(body);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** When a line containing `text` first appears in the watchdog's output (Date.now()), once it does. */
function whenLogged(watchdog: Watchdog, text: string): () => number | undefined {
  let at: number | undefined;
  const check = (): void => {
    if (at === undefined && watchdog.logs().includes(text)) at = Date.now();
  };
  watchdog.child.stdout?.on("data", check);
  watchdog.child.stderr?.on("data", check);
  return () => at;
}

/**
 * Keeps 6 clients sending (a new connection per request) and 5 slow requests in flight around a SIGTERM
 * to the watchdog, until the watchdog has exited; returns every result and the moments that matter.
 */
async function sigtermUnderLoad(watchdog: Watchdog) {
  const shutdownAt = whenLogged(watchdog, "No new connections allowed");
  const results: Result[] = [];
  let stop = false;
  const clients = Array.from({ length: 6 }, async (_, i) => {
    while (!stop) results.push(await call(watchdog.port, `/?client=${i}`, '{"n":1}'));
  });
  const slow: Promise<Result>[] = [];
  for (let i = 0; i < 3; i++) slow.push(call(watchdog.port, "/slow?ms=1500"));
  await sleep(300);
  const signalAt = Date.now();
  const logsBefore = watchdog.logs().length;
  watchdog.child.kill("SIGTERM");
  await sleep(600);
  for (let i = 0; i < 2; i++) slow.push(call(watchdog.port, "/slow?ms=1200"));
  await watchdog.exited;
  const exitAt = Date.now();
  stop = true;
  await Promise.all(clients);
  return { results, slow: await Promise.all(slow), signalAt, shutdownAt: shutdownAt(), exitAt, logsAfter: watchdog.logs().slice(logsBefore) };
}

/**
 * The checks every SIGTERM run must pass. `graceMs` is the watchdog's healthcheck_interval: it closes its
 * listener that long after the signal, so a refused (or reset, from its accept queue) connection to it
 * from then on is the watchdog's own shutdown, not a failed answer.
 */
function expectNoFailedAnswer(run: Awaited<ReturnType<typeof sigtermUnderLoad>>, watchdog: Watchdog, graceMs: number): void {
  const { results, slow, signalAt, shutdownAt, logsAfter } = run;
  expect(shutdownAt, watchdog.logs()).toBeDefined();
  // Every answer is the function's.
  const failed = results.filter((r) => r.status !== undefined && r.status !== 200);
  expect(failed.map((r) => `${r.status} ${r.body ?? ""}`), watchdog.logs()).toEqual([]);
  // A request may fail to connect only once the watchdog stops accepting (100 ms for the clocks to differ).
  const refusedByShutdown = (r: Result): boolean => (r.error === "ECONNREFUSED" || r.error === "ECONNRESET") && r.start >= signalAt + graceMs - 100;
  const broken = results.filter((r) => r.error !== undefined && !refusedByShutdown(r));
  expect(broken.map((r) => `${r.error} at +${r.start - signalAt} ms`)).toEqual([]);
  // The window was used: answers arrived between the signal and the watchdog's shutdown.
  expect(results.filter((r) => r.status === 200 && r.start > signalAt + 200 && r.end < (shutdownAt as number)).length).toBeGreaterThan(10);
  // The requests in flight across the signal all finished.
  expect(slow.map((r) => r.status ?? r.error)).toEqual([200, 200, 200, 200, 200]);
  // The watchdog never failed to reach the server after the signal.
  expect(logsAfter).not.toContain("Upstream HTTP request error");
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) await sleep(25);
  return !alive(pid);
}

describe("the template server behind of-watchdog 0.10.1", () => {
  describe("serving", () => {
    let watchdog: Watchdog;
    beforeAll(async () => {
      ({ watchdog } = await startFunction({ exec_timeout: "1s", write_timeout: "3s", healthcheck_interval: "1s" }));
    }, 60_000);
    afterAll(() => watchdog?.stop());

    it("proxies requests to the server and its answers back", async () => {
      const answer = await call(watchdog.port, "/items?x=1", '{"hello":"world"}');
      expect([answer.status, JSON.parse(answer.body ?? "")]).toEqual([200, { echo: { hello: "world" } }]);
    });

    it("passes the error contract's answers through unchanged: malformed JSON, a thrown error with a code of its own", async () => {
      expectErrorAnswer(await call(watchdog.port, "/", '{"oops'), { status: 400, code: "MALFORMED_JSON", message: /^malformed JSON body/ });
      expectErrorAnswer(await call(watchdog.port, "/fail"), { status: 409, code: "OUT_OF_STOCK", message: "out of stock" });
    });

    it("answers /_/ready by forwarding ready_path to the server, and /_/health from its lock file", async () => {
      const ready = await call(watchdog.port, "/_/ready");
      expect([ready.status, JSON.parse(ready.body ?? "")]).toEqual([200, { status: "ready" }]);
      const health = await call(watchdog.port, "/_/health");
      expect([health.status, health.body]).toEqual([200, "OK"]);
    });

    it("answers 504 past exec_timeout, and the server keeps serving", async () => {
      const slow = await call(watchdog.port, "/slow?ms=3000");
      expect(slow.status).toBe(504);
      expect(slow.end - slow.start).toBeLessThan(2500);
      expect((await call(watchdog.port, "/", "{}")).status).toBe(200);
    });
  });

  it("SIGTERM under load with healthcheck_interval 2s: in-flight requests finish, no answer fails, the server outlives the watchdog", async () => {
    const { watchdog, functionPid } = await startFunction({ healthcheck_interval: "2s", write_timeout: "5s" });
    try {
      const run = await sigtermUnderLoad(watchdog);
      expectNoFailedAnswer(run, watchdog, 2000);
      expect(watchdog.logs()).toContain("health: 2s");
      expect(await waitGone(functionPid, 5_000)).toBe(true);
      expect(watchdog.logs()).toContain("serving as usual for 2000 ms");
    } finally {
      await watchdog.stop();
      if (alive(functionPid)) process.kill(functionPid, "SIGKILL");
    }
  }, 60_000);

  it("SIGTERM under load with healthcheck_interval unset: both take write_timeout, and no answer fails", async () => {
    const { watchdog, functionPid } = await startFunction({ write_timeout: "2s" });
    try {
      const run = await sigtermUnderLoad(watchdog);
      expectNoFailedAnswer(run, watchdog, 2000);
      expect(watchdog.logs()).toContain("health: 2s");
      expect(watchdog.logs()).toContain("serving as usual for 2000 ms");
      expect(await waitGone(functionPid, 5_000)).toBe(true);
    } finally {
      await watchdog.stop();
      if (alive(functionPid)) process.kill(functionPid, "SIGKILL");
    }
  }, 60_000);
});
