/**
 * SDK benchmarks (`npm run bench -- sdk`), the SDK side by side with bare undici (the limit in Node)
 * and openfaas/go-sdk (the peer, `gosdk-bench` and `gosdk-cold` from ../shared/peers, skipped with a
 * message where they are missing), against one stand-in gateway in a process of its own
 * (fixtures/sdk-gateway.ts). Every client runs in a process of its own too, so the CPU it reports is
 * its own alone (fixtures/sdk-client.ts):
 * 1. a cached authenticated `getFunctions("dev")`: CPU per call and calls/s at 1 and 16 concurrent
 *    calls, in rounds that run every client once in a rotated order, with an A/A row (bare undici in
 *    a second process); each ratio is taken within a round;
 * 2. `invokeFunction` with a cached function token, the same way;
 * 3. a streamed `getLogs`: lines/s against a bare undici stream;
 * 4. a cold process to its first authenticated answer, and its peak RSS, against a hand-written
 *    client (`readFileSync` and Node's `fetch`) and go-sdk (also under NODE22 when it is set);
 * 5. 1,000 concurrent first calls on a cold TokenAuth cause exactly one exchange;
 * 6. a token refresh under steady load: exchanges per lifetime and the p99 near a refresh.
 * (5 and 6 run in this process against a fake gateway in a worker thread.)
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { Client, StaticTokenSource, TokenAuth, type TokenSource } from "@node-ts-iam/sdk";
import type { BenchModule, BenchSection } from "./report.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const PEERS_DIR = resolve(process.env["OPENFAAS_PEERS_DIR"] ?? resolve(repo, "../shared/peers"));
const fixture = (name: string): string => join(here, "fixtures", `${name}.js`);

/** Calls per client run, after 200 warm-up calls (as the issue measured, and gosdk-bench does). */
const CALLS = 20_000;
const INVOKES = 10_000;
/** Rounds of the per-call comparisons; each runs every client once. */
const ROUNDS = 7;
const LOG_LINES = 1_000_000;
/** Interleaved spawns per program of the cold comparison. */
const COLD_SPAWNS = 15;

const median = (values: readonly number[]): number => quantile(values, 0.5);
const fmt = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : "–");

function quantile(values: readonly number[], f: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * f;
  const lo = Math.floor(at);
  return sorted[lo]! + (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!) * (at - lo);
}

/** `median (min – max)` of per-round ratios. */
function spread(ratios: readonly number[]): string {
  if (ratios.length === 0) return "–";
  return `${fmt(median(ratios), 2)} (${fmt(Math.min(...ratios), 2)} – ${fmt(Math.max(...ratios), 2)})`;
}

// ---------------------------------------------------------------------------------------------
// Processes: the stand-in gateway and the clients.

const children = new Set<ChildProcess>();

/** The stand-in gateway, in its own process; stopped by its pid. */
async function startGateway(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [fixture("sdk-gateway")], { stdio: ["ignore", "pipe", "inherit"] });
  children.add(child);
  const line = (await createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next()).value as string | undefined;
  if (!line) throw new Error("the stand-in gateway did not start");
  return {
    url: `http://127.0.0.1:${Number(line)}`,
    stop: () => {
      child.kill();
      children.delete(child);
    },
  };
}

/** What one client run printed (fixtures/sdk-client.ts and gosdk-bench print the same fields). */
interface ClientRun {
  rps: number;
  cpu_us_per_call: number;
  items: number;
}

/** Runs a program to its end and returns its stdout; fails on a non-zero exit. */
function runToEnd(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      children.delete(child);
      if (code === 0) resolveRun(out);
      else reject(new Error(`${args[0] ?? command} exited ${code}: ${err.trim().split("\n").slice(-3).join(" ")}`));
    });
  });
}

type Subject = "undici" | "undici, second process" | "go-sdk" | "sdk";

async function runClient(subject: Subject, op: string, gateway: string, calls: number, concurrency: number, env: NodeJS.ProcessEnv): Promise<ClientRun> {
  const out =
    subject === "go-sdk"
      ? await runToEnd(join(PEERS_DIR, "gosdk-bench"), [gateway, String(calls), String(concurrency)], env)
      : await runToEnd(process.execPath, [fixture("sdk-client"), subject === "sdk" ? "sdk" : "undici", op, gateway, String(calls), String(concurrency)], env);
  const run = JSON.parse(out.trim().split("\n").pop() ?? "{}") as ClientRun;
  const expected = op === "functions" ? 5 * calls : calls;
  if (run.items !== expected) throw new Error(`${subject} ${op}: ${run.items} items, expected ${expected}`);
  return run;
}

/** A service account token of the projected kind's size (about 1,200 characters), in a folder of its own. */
function tokenFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), "bench-sdk-"));
  const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  const claims = {
    aud: ["http://gateway.openfaas:8080"],
    exp: Math.floor(Date.now() / 1000) + 3600,
    iat: Math.floor(Date.now() / 1000),
    iss: "https://kubernetes.default.svc.cluster.local",
    "kubernetes.io": { namespace: "openfaas-fn", pod: { name: "bench-7c9d8b6f5-q2w3e", uid: "8d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09" }, serviceaccount: { name: "bench", uid: "0b4f7c1e-8a1d-4f3e-9c2b-5d6e7f8a9b0c" } },
    nbf: Math.floor(Date.now() / 1000),
    sub: "system:serviceaccount:openfaas-fn:bench",
  };
  writeFileSync(join(dir, "openfaas-token"), `${b64({ alg: "RS256", kid: "bench-signing-key-0123456789abcdef" })}.${b64(claims)}.${"s".repeat(342)}`);
  return dir;
}

// ---------------------------------------------------------------------------------------------
// 1-3: per call, side by side.

interface Tally {
  cpu: number[];
  rps: number[];
}

/** Every subject once per round, in an order rotated each round; returns each one's runs, in round order. */
async function rounds(
  subjects: readonly Subject[],
  run: (subject: Subject) => Promise<ClientRun>,
  label: string,
  log: (line: string) => void,
): Promise<Map<Subject, Tally>> {
  const tallies = new Map<Subject, Tally>(subjects.map((s) => [s, { cpu: [], rps: [] }]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < subjects.length; i++) {
      const subject = subjects[(i + r) % subjects.length]!;
      const result = await run(subject);
      tallies.get(subject)!.cpu.push(result.cpu_us_per_call);
      tallies.get(subject)!.rps.push(result.rps);
    }
    log(`sdk: ${label} round ${r + 1}/${ROUNDS}`);
  }
  return tallies;
}

/** Per-round ratios of `a` over `b` (the same round's runs). */
const ratios = (a: readonly number[], b: readonly number[]): number[] => a.map((v, i) => v / b[i]!);

async function perCall(gateway: string, env: NodeJS.ProcessEnv, goSdk: boolean, log: (line: string) => void): Promise<BenchSection> {
  const subjects: Subject[] = ["undici", "undici, second process", ...(goSdk ? (["go-sdk"] as const) : []), "sdk"];
  const rows: (string | number)[][] = [];
  for (const concurrency of [1, 16]) {
    const t = await rounds(subjects, (s) => runClient(s, "functions", gateway, CALLS, concurrency, env), `getFunctions at ${concurrency}`, log);
    const base = t.get("undici")!;
    const go = t.get("go-sdk");
    for (const subject of subjects) {
      const own = t.get(subject)!;
      const isSdk = subject === "sdk";
      rows.push([
        subject === "sdk" ? "@node-ts-iam/sdk" : subject === "go-sdk" ? "openfaas/go-sdk v0.3.0" : `bare undici${subject === "undici" ? "" : ", second process (A/A)"}`,
        concurrency,
        fmt(median(own.cpu)),
        fmt(median(own.rps), 0),
        subject === "undici" ? "1.00" : spread(ratios(own.cpu, base.cpu)),
        go && subject !== "go-sdk" ? spread(ratios(own.cpu, go.cpu)) : subject === "go-sdk" ? "1.00" : "–",
        go && subject !== "go-sdk" ? spread(ratios(own.rps, go.rps)) : subject === "go-sdk" ? "1.00" : "–",
        isSdk ? "CPU ≤ 1.3× undici and ≤ 1.0× go-sdk; calls/s ≥ 1.0× go-sdk" : "",
      ]);
    }
  }
  return {
    title: 'SDK: a cached authenticated getFunctions("dev"), side by side',
    columns: ["client", "concurrent calls", "CPU µs/call", "calls/s", "CPU vs bare undici", "CPU vs go-sdk", "calls/s vs go-sdk", "target"],
    rows,
    notes: [
      `Each client in a process of its own: ${CALLS.toLocaleString("en")} authenticated \`GET /system/functions?namespace=dev\` calls (a 5-item list, with a bearer token of about 900 characters) after 200 warm-up calls, against a stand-in gateway (a bare node:http server in its own process). CPU is the client process's own (user + sys) per call; figures are medians over ${ROUNDS} rounds, each of which runs every client once in an order rotated round by round; a ratio is \`median (min – max)\` of the ratios taken within each round. Bare undici: a \`Pool\`, \`request()\` and undici's \`body.json()\`, with a fixed bearer header: the limit in Node. go-sdk: \`TokenAuth\` + \`ServiceAccountTokenSource\` + \`GetFunctions\` (\`gosdk-bench\`, ../shared/peers). The SDK: \`Client\` + \`TokenAuth\` + \`ServiceAccountTokenSource\`, its response checked field by field. The A/A row is bare undici again in a second process: how far two identical clients differ in this run.${goSdk ? "" : " go-sdk was skipped: ../shared/peers/gosdk-bench was not found."}`,
    ],
  };
}

async function invokes(gateway: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<BenchSection> {
  const subjects: Subject[] = ["undici", "sdk"];
  const rows: (string | number)[][] = [];
  for (const concurrency of [1, 16]) {
    const t = await rounds(subjects, (s) => runClient(s, "invoke", gateway, INVOKES, concurrency, env), `invokeFunction at ${concurrency}`, log);
    const base = t.get("undici")!;
    const sdk = t.get("sdk")!;
    rows.push(["bare undici", concurrency, fmt(median(base.cpu)), fmt(median(base.rps), 0), "1.00", "1.00", ""]);
    rows.push(["@node-ts-iam/sdk", concurrency, fmt(median(sdk.cpu)), fmt(median(sdk.rps), 0), spread(ratios(sdk.cpu, base.cpu)), spread(ratios(sdk.rps, base.rps)), "CPU ≤ 1.3× undici"]);
  }
  return {
    title: "SDK: invokeFunction with a cached function token, side by side",
    columns: ["client", "concurrent calls", "CPU µs/call", "calls/s", "CPU vs bare undici", "calls/s vs bare undici", "target"],
    rows,
    notes: [
      `${INVOKES.toLocaleString("en")} \`POST /function/echo.dev\` calls with a 28-byte JSON body after 200 warm-up calls, each answered with the body; rounds and ratios as above. Bare undici sends a function token it exchanged once and reads the answer with \`body.arrayBuffer()\`; the SDK calls \`invokeFunction("echo", "dev", { body, functionAuth: true })\` (the function token cached per function). go-sdk has no program for this in ../shared/peers.`,
    ],
  };
}

async function logs(gateway: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<BenchSection> {
  const subjects: Subject[] = ["undici", "sdk"];
  const t = await rounds(subjects, (s) => runClient(s, "logs", gateway, LOG_LINES, 1, env), "getLogs", log);
  const base = t.get("undici")!;
  const sdk = t.get("sdk")!;
  return {
    title: "SDK: a streamed getLogs vs a bare undici stream",
    columns: ["client", "lines/s", "CPU µs/line", "lines/s vs bare undici", "target"],
    rows: [
      ["bare undici", fmt(median(base.rps), 0), fmt(median(base.cpu), 2), "1.00", ""],
      ["@node-ts-iam/sdk", fmt(median(sdk.rps), 0), fmt(median(sdk.cpu), 2), spread(ratios(sdk.rps, base.rps)), "≥ 0.9×"],
    ],
    notes: [
      `One stream of ${LOG_LINES.toLocaleString("en")} NDJSON log lines (\`GET /system/logs\`, about 170 bytes a line, written in 64 KiB pieces) after a 100,000-line warm-up stream; rounds and ratios as above. Bare undici: \`request()\`, the body's chunks split on newlines and each line \`JSON.parse\`d; the SDK: \`for await (const line of client.getLogs(...))\`, each line checked and handed out as a \`LogMessage\`.`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// 4: a cold process.

interface ColdRun {
  /** Spawn to the answer in hand (the program prints a line then), in ms; NaN when it prints none. */
  answerMs: number;
  /** Spawn to exit, in ms. */
  exitMs: number;
  /** Peak RSS in MiB, as the process reports at its exit; NaN when it reports none. */
  rssMiB: number;
}

/** One cold run: the wall time to the program's `answer` line and to its exit, and the peak RSS it reports. */
function coldRun(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<ColdRun> {
  return new Promise((resolveRun, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let answerMs = NaN;
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      if (Number.isNaN(answerMs) && d.includes("answer")) answerMs = performance.now() - started;
      out += d.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      const exitMs = performance.now() - started;
      children.delete(child);
      if (code !== 0) return reject(new Error(`${args[0] ?? command} exited ${code}`));
      resolveRun({ answerMs, exitMs, rssMiB: Number(/maxrss (\d+)/.exec(out)?.[1] ?? NaN) / 1024 });
    });
  });
}

/** The cold clients on Node: their fixtures, and the rows' names. */
const COLD_FIXTURES = { "hand-written": "sdk-cold-hand", undici: "sdk-cold-undici", sdk: "sdk-cold" } as const;
const COLD_NAMES = {
  "hand-written": "hand-written (readFileSync + fetch)",
  undici: "bare undici (npm's, its Agent module as the SDK loads it, dispatch)",
  sdk: "@node-ts-iam/sdk",
  "go-sdk": "openfaas/go-sdk v0.3.0",
} as const;

async function coldStarts(gateway: string, env: NodeJS.ProcessEnv, goSdk: boolean, log: (line: string) => void): Promise<BenchSection> {
  const nodes: [string, string][] = [[`Node ${process.version}`, process.execPath]];
  const node22 = process.env["NODE22"];
  if (node22) nodes.push([`Node ${spawnSync(node22, ["--version"], { encoding: "utf8" }).stdout.trim()}`, node22]);
  const rows: (string | number)[][] = [];
  for (const op of ["functions", "invoke"] as const) {
    for (const [nodeName, node] of nodes) {
      type Program = "hand-written" | "undici" | "sdk" | "go-sdk";
      // go-sdk (no Node in it) once, beside the module's own Node.
      const programs: Program[] = ["hand-written", "undici", "sdk", ...(goSdk && op === "functions" && node === process.execPath ? (["go-sdk"] as const) : [])];
      const runs = new Map<Program, ColdRun[]>(programs.map((p) => [p, []]));
      for (let i = 0; i < COLD_SPAWNS; i++) {
        for (let j = 0; j < programs.length; j++) {
          const program = programs[(i + j) % programs.length]!;
          const run =
            program === "go-sdk"
              ? await coldRun(join(PEERS_DIR, "gosdk-cold"), [gateway], env)
              : await coldRun(node, [fixture(COLD_FIXTURES[program]), op, gateway], env);
          runs.get(program)!.push(run);
        }
      }
      log(`sdk: cold ${op} under ${nodeName}`);
      const hand = runs.get("hand-written")!;
      for (const program of programs) {
        const own = runs.get(program)!;
        const vsHand = (pick: (r: ColdRun) => number): string => (program === "hand-written" ? "1.00" : spread(own.map((r, i) => pick(r) / pick(hand[i]!))));
        const node22Row = node === process.execPath ? "" : ` (${nodeName})`;
        rows.push([
          `${COLD_NAMES[program]}${program === "go-sdk" ? "" : node22Row}`,
          op === "functions" ? "getFunctions" : "invokeFunction",
          fmt(median(own.map((r) => r.answerMs))),
          program === "go-sdk" ? "–" : vsHand((r) => r.answerMs),
          fmt(median(own.map((r) => r.exitMs))),
          vsHand((r) => r.exitMs),
          fmt(median(own.map((r) => r.rssMiB))),
          program === "go-sdk" ? "–" : vsHand((r) => r.rssMiB),
          program === "sdk" ? "≤ 1.1× to the answer, RSS ≤ 1.05×" : "",
        ]);
      }
    }
  }
  return {
    title: "SDK: a cold process to its first authenticated answer",
    columns: ["program", "call", "to the answer (ms)", "vs hand-written", "to exit (ms)", "vs hand-written", "peak RSS (MiB)", "vs hand-written", "target"],
    rows,
    notes: [
      `Each program is spawned ${COLD_SPAWNS} times, the programs interleaved: it reads the service account token file, exchanges it, and makes one call (\`getFunctions\`: the 5-item list; \`invokeFunction\`: a second exchange for a function token, then the invocation). "To the answer" is from spawn to the line the program prints once it holds the answer; "to exit" adds the process's end (under Node 20 it waits for V8's background compilation of undici's HTTP parser, which every Node program here loads). Peak RSS is what the process reports at exit (\`process.resourceUsage().maxRSS\`). The hand-written client is the SDK's call written out with \`readFileSync\` and Node's own \`fetch\` (fixtures/sdk-cold-hand.ts), whose undici comes compiled with Node; bare undici makes the same requests on npm's undici alone, loaded as the SDK loads it, with a handler that only collects the body (fixtures/sdk-cold-undici.ts): what npm undici itself costs, the floor of any client on it; the SDK's uses \`Client\` + \`TokenAuth\` + \`ServiceAccountTokenSource\` (fixtures/sdk-cold.ts) as the package resolves it, its one-file bundle (sdk/bundle.mjs); ratios as above, per interleaved pair. go-sdk: \`gosdk-cold\`, to exit only. Rows without a Node version ran under the module's own Node (${process.version}); with NODE22 set, the rows that name one ran under it.${goSdk ? "" : " go-sdk was skipped: ../shared/peers/gosdk-cold was not found."}`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// 5-6: the token lifecycle, in process against a fake gateway in a worker thread.

const LIFECYCLE_GATEWAY = `
const { parentPort } = require("node:worker_threads");
const http = require("node:http");
let exchanges = 0;
let n = 0;
const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  if (url.pathname === "/oauth/token") {
    req.resume();
    req.on("end", () => {
      exchanges++;
      const body = JSON.stringify({ access_token: "bench-token-" + ++n, token_type: "Bearer", expires_in: Number(url.searchParams.get("ttl") || 3600) });
      setTimeout(() => res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body), Number(url.searchParams.get("delay") || 0));
    });
    return;
  }
  if (url.pathname === "/_stats") return res.end(JSON.stringify({ exchanges }));
  req.resume();
  res.writeHead(200, { "content-type": "application/json", "content-length": "7" });
  res.end('["dev"]');
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
parentPort.on("message", (m) => { if (m === "stop") server.close(() => process.exit(0)); server.closeAllConnections(); });
`;

async function startLifecycleGateway(): Promise<{ url: string; stop: () => Promise<void> }> {
  const worker = new Worker(LIFECYCLE_GATEWAY, { eval: true });
  const port = await new Promise<number>((resolvePort, reject) => {
    worker.once("message", resolvePort);
    worker.once("error", reject);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      worker.postMessage("stop");
      await new Promise((r) => worker.once("exit", r));
    },
  };
}

async function exchangesSoFar(url: string): Promise<number> {
  const res = await fetch(`${url}/_stats`);
  return ((await res.json()) as { exchanges: number }).exchanges;
}

async function concurrentFirstCalls(url: string): Promise<BenchSection> {
  const before = await exchangesSoFar(url);
  const auth = new TokenAuth({ source: new StaticTokenSource("subject"), tokenURL: `${url}/oauth/token?delay=5` });
  const client = new Client({ gatewayURL: url, auth });
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 1000 }, () => client.getNamespaces()));
  const ms = performance.now() - t0;
  const exchanges = (await exchangesSoFar(url)) - before;
  return {
    title: "SDK: 1,000 concurrent first calls",
    columns: ["calls", "token exchanges (server count)", "TokenAuth fetches", "wall time (ms)", "target"],
    rows: [[1000, exchanges, auth.stats.fetches, fmt(ms), "exactly 1 exchange"]],
  };
}

async function refreshUnderLoad(url: string, log: (line: string) => void): Promise<BenchSection> {
  const LIFETIME_S = 4;
  const EXCHANGE_DELAY_MS = 25;
  const DURATION_MS = 16_500;
  const WINDOW_MS = 250;
  const refreshStarts: number[] = [];
  const source: TokenSource = {
    token: () => {
      refreshStarts.push(performance.now());
      return Promise.resolve("subject");
    },
  };
  const SOFT_MS = 1_000;
  const auth = new TokenAuth({ source, tokenURL: `${url}/oauth/token?ttl=${LIFETIME_S}&delay=${EXCHANGE_DELAY_MS}`, refreshWindowMs: SOFT_MS, expiryMarginMs: 200 });
  const client = new Client({ gatewayURL: url, auth });
  const before = await exchangesSoFar(url);
  await client.getNamespaces();
  const samples: Array<[number, number]> = [];
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    while (performance.now() - t0 < DURATION_MS) {
      const s = performance.now();
      await client.getNamespaces();
      samples.push([s, performance.now() - s]);
    }
  };
  const progress = setInterval(() => log(`sdk: refresh under load ${fmt((performance.now() - t0) / 1000, 0)} s`), 4000);
  await Promise.all(Array.from({ length: 8 }, lane));
  clearInterval(progress);
  const exchanges = (await exchangesSoFar(url)) - before;
  const elapsed = performance.now() - t0;
  const lifetimes = elapsed / (LIFETIME_S * 1000);
  // A token is replaced when it enters the soft window, so one refresh cycle is lifetime − window.
  const cycles = elapsed / (LIFETIME_S * 1000 - SOFT_MS);
  const refreshes = refreshStarts.slice(1);
  const near: number[] = [];
  const elsewhere: number[] = [];
  for (const [start, ms] of samples) {
    (refreshes.some((r) => start >= r - WINDOW_MS && start <= r + WINDOW_MS) ? near : elsewhere).push(ms);
  }
  const p99 = (values: number[]): number => quantile(values, 0.99);
  return {
    title: "SDK: token refresh under steady load",
    columns: ["calls", "token lifetime", "refresh cycles elapsed", "exchanges (server count)", "exchanges per token (after the first)", "p99 near refresh (ms)", "p99 elsewhere (ms)", "ratio", "target"],
    rows: [
      [
        samples.length,
        `${LIFETIME_S} s`,
        fmt(cycles, 2),
        exchanges,
        fmt((exchanges - 1) / Math.floor(cycles), 2),
        fmt(p99(near), 3),
        fmt(p99(elsewhere), 3),
        fmt(p99(near) / p99(elsewhere), 2),
        "1 per token lifetime; ≤ 1.2×",
      ],
    ],
    notes: [
      `8 concurrent lanes for ${DURATION_MS / 1000} s; the exchange takes ${EXCHANGE_DELAY_MS} ms server-side; soft window 1 s, hard margin 0.2 s; "near" = calls started within ±${WINDOW_MS} ms of a refresh start (${near.length} calls), "elsewhere" = the other ${elsewhere.length}. ${fmt(lifetimes, 2)} token lifetimes elapsed; each token is replaced once, ${SOFT_MS / 1000} s before its expiry, by one background exchange that no caller waits for.`,
    ],
  };
}

const bench: BenchModule = async (log) => {
  const work = tokenFolder();
  const env = { ...process.env, token_mount_path: work };
  const goSdk = existsSync(join(PEERS_DIR, "gosdk-bench")) && existsSync(join(PEERS_DIR, "gosdk-cold"));
  if (!goSdk) log("sdk: go-sdk skipped: ../shared/peers/gosdk-bench and gosdk-cold not found (OPENFAAS_PEERS_DIR names another folder)");
  const gateway = await startGateway();
  const lifecycle = await startLifecycleGateway();
  try {
    const sections = [await perCall(gateway.url, env, goSdk, log)];
    sections.push(await invokes(gateway.url, env, log));
    sections.push(await logs(gateway.url, env, log));
    sections.push(await coldStarts(gateway.url, env, goSdk, log));
    log("sdk: 1,000 concurrent first calls");
    sections.push(await concurrentFirstCalls(lifecycle.url));
    log("sdk: refresh under load");
    sections.push(await refreshUnderLoad(lifecycle.url, log));
    return sections;
  } finally {
    for (const child of children) child.kill();
    gateway.stop();
    await lifecycle.stop();
    rmSync(work, { recursive: true, force: true });
  }
};

export default bench;
