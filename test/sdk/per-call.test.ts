/**
 * What one cached-token call sets up, counted rather than timed (so the count is the same on a busy
 * machine): async resources by type (timers, promises, ticks, immediates) through async_hooks, and
 * AbortControllers, EventTarget listeners and URL objects through counting stand-ins for the
 * globals, per `getFunctions("dev")` and per `invokeFunction` with a cached function token, one at a
 * time and 16 at a time. Bare undici (`Pool.request()` + `body.json()`) is counted beside it in the
 * same process as the reference, so the budget follows undici and Node, not a number taken once.
 *
 * The budget: no AbortController, no listener, no URL object and no undici `request()` wrapper per
 * call; at most one timer more than bare undici (the call's deadline); no more ticks, immediates and
 * microtasks than bare undici; at most 4 promises more (the SDK's own async layers: the API method,
 * the pipeline, the exchange). A control adds an AbortController and a timer per call and must be
 * caught. Cost: one Node process, about 2,000 calls to a server in a worker thread, 2 s.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");

/** Per-call averages of one client at one concurrency. */
type Counts = Record<string, number>;
/** `<client> <op> <concurrency>` → its counts. */
type Probe = Record<string, Counts>;

/**
 * The probe, in a child process so that nothing else (the test runner) creates resources while it
 * counts. The server runs in a worker thread: async_hooks see only the main thread's resources.
 */
const PROBE = `
import { createHook } from "node:async_hooks";
import { Worker } from "node:worker_threads";
const SERVER = \`
const { parentPort } = require("node:worker_threads");
const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
const token = b64({ alg: "ES256" }) + "." + b64({ exp: Math.floor(Date.now() / 1000) + 3600, pad: "p".repeat(600) }) + "." + "s".repeat(86);
const list = JSON.stringify([1, 2, 3, 4, 5].map((i) => ({ name: "fn-" + i, image: "img:" + i, namespace: "dev", replicas: 1, labels: { team: "a" } })));
require("node:http").createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = req.url.startsWith("/oauth/token") ? JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: 3600 })
      : req.url.startsWith("/function/") ? Buffer.concat(chunks).toString() : list;
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
  });
}).listen(0, "127.0.0.1", function () { parentPort.postMessage(this.address().port); });
\`;
// execArgv: [] so that the eval'd server is CommonJS, whatever --input-type this process runs with.
const worker = new Worker(SERVER, { eval: true, execArgv: [] });
const url = "http://127.0.0.1:" + (await new Promise((r) => worker.once("message", r)));
const { Client, StaticTokenSource, TokenAuth } = await import("@node-ts-iam/sdk");
const { Pool } = await import("undici");

const subject = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2ln";
const client = new Client({ gatewayURL: url, auth: new TokenAuth({ source: new StaticTokenSource(subject), tokenURL: url + "/oauth/token" }) });
const pool = new Pool(url);
const bearer = { authorization: "Bearer " + "t".repeat(900) };
const body = JSON.stringify({ hello: "world" });
const calls = {
  "undici functions": async () => { const r = await pool.request({ path: "/system/functions?namespace=dev", method: "GET", headers: bearer }); await r.body.json(); },
  "sdk functions": async () => { await client.getFunctions("dev"); },
  "undici invoke": async () => { const r = await pool.request({ path: "/function/echo.dev", method: "POST", headers: { ...bearer, "content-type": "application/json" }, body }); await r.body.arrayBuffer(); },
  "sdk invoke": async () => { await client.invokeFunction("echo", "dev", { body, headers: { "content-type": "application/json" }, functionAuth: true }); },
  // The control: the SDK call with an AbortController and a timer set up per call, as before issue 20.
  "control functions": async () => { const c = new AbortController(); const t = setTimeout(() => c.abort(), 30000); try { await client.getFunctions("dev"); } finally { clearTimeout(t); } },
};

const N = 200;
const out = {};
for (const [name, once] of Object.entries(calls)) {
  for (const concurrency of [1, 16]) {
    const calls = async (count) => {
      let next = 0;
      await Promise.all(Array.from({ length: concurrency }, async () => { while (next++ < count) await once(); }));
    };
    await calls(50 * concurrency); // warm, at the same concurrency: tokens cached, connections open
    const counts = { AbortController: 0, listener: 0, URL: 0 };
    const count = (type) => (counts[type] = (counts[type] ?? 0) + 1);
    const { AbortController: RealAbortController, URL: RealURL } = globalThis;
    const addEventListener = EventTarget.prototype.addEventListener;
    globalThis.AbortController = class extends RealAbortController { constructor() { super(); count("AbortController"); } };
    globalThis.URL = class extends RealURL { constructor(...args) { super(...args); count("URL"); } };
    EventTarget.prototype.addEventListener = function (...args) { count("listener"); return addEventListener.apply(this, args); };
    const hook = createHook({ init: (_id, type) => count(type) }).enable();
    await calls(N);
    hook.disable();
    Object.assign(globalThis, { AbortController: RealAbortController, URL: RealURL });
    EventTarget.prototype.addEventListener = addEventListener;
    out[name + " " + concurrency] = Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / N]));
  }
}
await pool.close();
await worker.terminate();
process.stdout.write(JSON.stringify(out));
`;

/** What `sdk` sets up per call beyond the budget against the bare undici reference `bare`; empty when within it. */
function overBudget(sdk: Counts, bare: Counts): string[] {
  const n = (counts: Counts, type: string): number => counts[type] ?? 0;
  // Averages over 200 calls: a connection opened or a periodic timer in the window is a few hundredths.
  const slack = 0.1;
  const over: string[] = [];
  for (const type of ["AbortController", "listener", "URL", "UNDICI_REQUEST"]) if (n(sdk, type) > slack) over.push(`${type}: ${n(sdk, type)} per call`);
  if (n(sdk, "Timeout") > n(bare, "Timeout") + 1 + slack) over.push(`Timeout: ${n(sdk, "Timeout")} per call, bare undici ${n(bare, "Timeout")}`);
  const callbacks = (counts: Counts): number => n(counts, "TickObject") + n(counts, "Immediate") + n(counts, "Microtask");
  if (callbacks(sdk) > callbacks(bare) + slack) over.push(`ticks, immediates and microtasks: ${callbacks(sdk)} per call, bare undici ${callbacks(bare)}`);
  if (n(sdk, "PROMISE") > n(bare, "PROMISE") + 4 + slack) over.push(`PROMISE: ${n(sdk, "PROMISE")} per call, bare undici ${n(bare, "PROMISE")}`);
  return over;
}

describe("per-call set-up of a cached-token call", () => {
  let probe: Probe;
  beforeAll(async () => {
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", PROBE], { cwd: repoRoot, timeout: 60_000 });
    probe = JSON.parse(stdout) as Probe;
  }, 70_000);

  it.each([
    ["functions", 1],
    ["functions", 16],
    ["invoke", 1],
    ["invoke", 16],
  ])("%s, %i at a time: within the budget against bare undici", (op, concurrency) => {
    const sdk = probe[`sdk ${op} ${concurrency}`]!;
    const bare = probe[`undici ${op} ${concurrency}`]!;
    expect(overBudget(sdk, bare), JSON.stringify({ sdk, bare })).toEqual([]);
    // The counts are real: every call made its exchange (a promise at least) and bare undici its request().
    expect(sdk["PROMISE"]).toBeGreaterThanOrEqual(1);
    expect(bare["UNDICI_REQUEST"]).toBeGreaterThanOrEqual(1);
  });

  it.each([1, 16])("catches an AbortController and a timer set up per call (the control, %i at a time)", (concurrency) => {
    const over = overBudget(probe[`control functions ${concurrency}`]!, probe[`undici functions ${concurrency}`]!);
    expect(over.join("\n")).toMatch(/AbortController/);
    expect(over.join("\n")).toMatch(/Timeout/);
  });
});
