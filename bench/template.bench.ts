/**
 * Template benchmark (`npm run bench -- template`): the node-ts-iam server against a bare CommonJS
 * `node:http` server doing the same work (POST of a small JSON body, echoed back), all in one run:
 * - bare CommonJS (the baseline: the fastest way Node starts a server), and the same server started
 *   from an ES module entry that imports node:http (what an ES module server pays);
 * - node-ts-iam in the repository layout (a compiled echo handler next to the source);
 * - node-ts-iam in the shipped layout: an echo function (TypeScript, the sample's ES module
 *   package.json) and a node22 folder (CommonJS handler.js), each built as faas-cli and the Dockerfile
 *   build it (the emulation in test/template/support, which conformance checks against the real
 *   faas-cli), started as the watchdog starts it;
 * - the official node22 template when `UPSTREAM_NODE22_DIR` points at a copy of it (its index.js and
 *   package.json, with express and body-parser installed).
 * Measured: throughput (autocannon, 32 connections, a 2 s warm-up per server, then rounds in which every
 * server is loaded once for 1 s, in an order rotated each round; a server's ratio is the median over the
 * rounds of its requests divided by the baseline's in the same round, shown with the quartiles, because
 * the client shares the 2 cores and the machine's speed drifts by tens of per cent between seconds; a
 * second bare process, measured the same way, shows how far two identical servers differ), the server's
 * own CPU time per 1,000 of those requests (the cost the client cannot hide); time from spawn to the first
 * answered request (median of N spawns, interleaved), and the CPU time the process used until then (which
 * a busy machine disturbs less); idle RSS of those processes after 50 requests and 150 ms of rest; with
 * valgrind, instructions per request in two windows of one process's life (repeatable, unlike time).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { request } from "node:http";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { faasCliBuild as FaasCliBuild } from "../test/template/support/faas-build.js";
import type { BenchModule, BenchSection } from "./report.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const BODY = JSON.stringify({ hello: "world", n: 42, list: [1, 2, 3], nested: { ok: true } });
const SPAWNS = 31;
const WARMUP_S = 2;
const ROUND_S = 1;
/** Throughput rounds: in each, every server is loaded once, in an order rotated from round to round. */
const ROUNDS = 16;

/** How to start one server under test; `port` is chosen per start. */
interface Subject {
  readonly name: string;
  readonly command: string;
  readonly args: string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
}

interface AutocannonResult {
  requests: { average: number };
  non2xx: number;
  errors: number;
  latency: { p99: number };
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port"))));
    });
  });
}

function post(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolvePost, reject) => {
    const req = request(
      { host: "127.0.0.1", port, method: "POST", path: "/", agent: false, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(BODY) } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolvePost({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end(BODY);
  });
}

interface Started {
  child: ChildProcess;
  port: number;
  /** ms from spawn to the first 200 answer to the echo request. */
  startMs: number;
  /** CPU time the process used until then (all its threads), in ms: less sensitive to a busy machine. */
  cpuMs: number;
}

/** CPU time of all threads of `pid` so far, in ms (Linux /proc/<pid>/task/<tid>/schedstat, ns). */
function cpuTimeMs(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
  }
  return ns / 1e6;
}

/**
 * The windows of a server's life whose instructions are counted, in requests since its first answer.
 * V8 is still compiling the hot path in the early one (under valgrind for longer than at full speed);
 * by the settled one it has finished, so that window is the server's own cost per request.
 */
const WINDOWS = { early: [2000, 6000], settled: [10_000, 20_000] } as const;
type Window = keyof typeof WINDOWS;

/** Whether valgrind is on PATH (Debian's package; the instruction count is left out without it). */
function hasValgrind(): boolean {
  return spawnSync("valgrind", ["--version"], { stdio: "ignore" }).status === 0;
}

/**
 * User-space instructions per request that `subject` executes in each of `windows`, counted by
 * valgrind's callgrind in one process: sequential requests on one connection, and `callgrind_control
 * --dump` at each window's edges (a dump zeroes the counters, so each part file holds one stretch).
 * The same figure run after run, whatever else the machine does, where time and throughput on 2 shared
 * cores drift by tens of per cent.
 */
async function instructionsPerRequest(subject: Subject, windows: readonly Window[], autocannon: Autocannon, work: string): Promise<Map<Window, number>> {
  const port = await freePort();
  const dir = mkdtempSync(join(work, "callgrind-"));
  // valgrind's gdbserver pipes go in the work folder too: a killed valgrind leaves them behind.
  const vgdbPrefix = `--vgdb-prefix=${join(dir, "vgdb")}`;
  const args = ["--tool=callgrind", "--smc-check=all-non-file", vgdbPrefix, `--callgrind-out-file=${join(dir, "out")}`, subject.command, ...subject.args];
  const server = spawnServer("valgrind", args, subject, port);
  try {
    await firstAnswer(`${subject.name} under valgrind`, server, port, 120_000, 100);
    // Served up to each edge, then dumped: dump n (file out.n) holds the stretch that ends at edges[n-1].
    const edges: number[] = [...new Set(windows.flatMap((w) => WINDOWS[w]))].sort((a, b) => a - b);
    let served = 0;
    for (const edge of edges) {
      const result = await autocannon({ url: `http://127.0.0.1:${port}/`, connections: 1, amount: edge - served, method: "POST", headers: { "content-type": "application/json" }, body: BODY });
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${subject.name} under valgrind: ${result.non2xx} non-2xx, ${result.errors} errors`);
      served = edge;
      const dumped = spawnSync("callgrind_control", [vgdbPrefix, "--dump", String(server.child.pid)], { encoding: "utf8", timeout: 60_000 });
      if (dumped.status !== 0) throw new Error(`callgrind_control --dump failed: ${dumped.stderr || dumped.stdout}`);
    }
    /** Instructions of the stretch that ends at `edge`. */
    const endingAt = (edge: number): number => {
      const n = edges.indexOf(edge) + 1;
      const totals = /^totals: (\d+)/m.exec(readFileSync(join(dir, `out.${n}`), "utf8"))?.[1];
      if (totals === undefined) throw new Error(`${subject.name}: callgrind dump ${n} has no totals`);
      return Number(totals);
    };
    const perRequest = new Map<Window, number>();
    for (const window of windows) {
      const [from, to] = WINDOWS[window];
      // The stretches that end after `from` and by `to` make up the window.
      const sum = edges.filter((edge) => edge > from && edge <= to).reduce((total, edge) => total + endingAt(edge), 0);
      perRequest.set(window, sum / (to - from));
    }
    return perRequest;
  } finally {
    await stop(server.child);
  }
}

/** Every child started and not yet stopped: the bench stops them all on its way out, failed or not. */
const children = new Set<ChildProcess>();

/** A server process started for `subject` on `port` (its stderr kept for error messages). */
interface Spawned {
  readonly child: ChildProcess;
  stderr(): string;
}

function spawnServer(command: string, args: string[], subject: Subject, port: number): Spawned {
  const env: NodeJS.ProcessEnv = { ...process.env, ...subject.env, http_port: String(port) };
  const child = spawn(command, args, { cwd: subject.cwd, env, stdio: ["ignore", "ignore", "pipe"] });
  children.add(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, stderr: () => stderr };
}

/** Posts the echo request every `pollMs` until it is answered 200; returns that answer's body. */
async function firstAnswer(name: string, server: Spawned, port: number, timeoutMs: number, pollMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.child.exitCode !== null) throw new Error(`${name} exited early:\n${server.stderr()}`);
    if (Date.now() > deadline) throw new Error(`${name} did not answer within ${timeoutMs / 1000} s:\n${server.stderr()}`);
    const answer = await post(port).catch(() => undefined);
    if (answer?.status === 200) return answer.body;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function startSubject(subject: Subject): Promise<Started> {
  const port = await freePort();
  const begin = process.hrtime.bigint();
  const server = spawnServer(subject.command, subject.args, subject, port);
  const body = await firstAnswer(subject.name, server, port, 30_000, 1);
  const startMs = Number(process.hrtime.bigint() - begin) / 1e6;
  const cpuMs = cpuTimeMs(server.child.pid as number);
  if (JSON.stringify(JSON.parse(body)) !== BODY) throw new Error(`${subject.name} answered ${body}`);
  return { child: server.child, port, startMs, cpuMs };
}

function stop(child: ChildProcess): Promise<void> {
  children.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    child.once("exit", () => resolveStop());
    child.kill("SIGKILL");
  });
}

/** Resident set size of `pid` in MiB, read from /proc. */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]);
  return kb / 1024;
}

/** A temporary node22 layout (index.js + the node22 echo folder as function/) from UPSTREAM_NODE22_DIR. */
function node22Subject(dir: string, work: string): Subject | undefined {
  if (!existsSync(join(dir, "index.js"))) return undefined;
  const layout = join(work, "node22");
  cpSync(join(dir, "index.js"), join(layout, "index.js"));
  cpSync(join(dir, "package.json"), join(layout, "package.json"));
  const modules = existsSync(join(dir, "node_modules")) ? join(dir, "node_modules") : join(repo, "node_modules");
  symlinkSync(modules, join(layout, "node_modules"));
  cpSync(join(repo, "bench/fixtures/node22-echo"), join(layout, "function"), { recursive: true });
  return { name: "node22", command: process.execPath, args: ["index.js"], cwd: layout, env: {} };
}

/** A function folder built as faas-cli + the Dockerfile build it, started as the watchdog starts it. */
async function shippedSubject(name: string, handlerDir: string, work: string, log: (line: string) => void): Promise<Subject> {
  // The emulation is compiled by `npm run build` (test/template/support/tsconfig.json).
  const emulation = join(repo, "test/template/support/dist/faas-build.js");
  const { faasCliBuild } = (await import(pathToFileURL(emulation).href)) as { faasCliBuild: typeof FaasCliBuild };
  log(`template: building ${name} as faas-cli and the Dockerfile would (first build about 20 s)`);
  const built = await faasCliBuild({ workDir: work, name, handlerDir, log: () => {} });
  const [command, ...args] = built.fprocess.split(/\s+/);
  return { name, command: command === "node" ? process.execPath : (command as string), args, cwd: built.shipDir, env: built.shipEnv };
}

/** The value at fraction `f` (0..1) of `values` sorted, interpolated between neighbours. */
function quantile(values: number[], f: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const at = f * (sorted.length - 1);
  const low = Math.floor(at);
  const high = Math.min(low + 1, sorted.length - 1);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (at - low);
}

const median = (values: number[]): number => quantile(values, 0.5);

const bench: BenchModule = async (log) => {
  const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;
  const work = mkdtempSync(join(tmpdir(), "template-bench-"));
  const bare: Subject = { name: "bare CJS", command: process.execPath, args: [join(here, "fixtures/bare-server.cjs")], cwd: repo, env: {} };
  const subjects: Subject[] = [
    bare,
    // The same server in a second process: how far two identical servers differ in this run.
    { ...bare, name: "bare CJS, second process" },
    { name: "bare ESM", command: process.execPath, args: [join(here, "fixtures/bare-server.js")], cwd: repo, env: {} },
    {
      name: "repo layout",
      command: process.execPath,
      args: ["dist/main.js"],
      cwd: join(repo, "template/node-ts-iam"),
      env: { HANDLER_PATH: join(here, "fixtures/echo-function/handler.js") },
    },
  ];
  const upstreamDir = process.env["UPSTREAM_NODE22_DIR"];
  try {
    const shippedTs = await shippedSubject("shipped, TS", join(repo, "bench/fixtures/echo-function"), work, log);
    subjects.push(shippedTs);
    subjects.push(await shippedSubject("shipped, node22 folder", join(repo, "bench/fixtures/node22-echo"), work, log));
    const upstream = upstreamDir ? node22Subject(resolve(upstreamDir), work) : undefined;
    if (upstreamDir && !upstream) log(`UPSTREAM_NODE22_DIR=${upstreamDir} has no index.js; node22 column left out`);
    if (upstream) subjects.push(upstream);
    const names = subjects.map((s) => s.name);
    const perServer = (): Map<string, number[]> => new Map(names.map((name) => [name, []]));

    // 1. Throughput: every server once per round, the order rotated (and reversed every other round).
    const rps = perServer();
    const p99 = perServer();
    const cpuPerK = perServer();
    const running = new Map<string, Started>();
    for (const subject of subjects) running.set(subject.name, await startSubject(subject));
    const load = (port: number, seconds: number): Promise<AutocannonResult> =>
      autocannon({
        url: `http://127.0.0.1:${port}/`,
        connections: 32,
        duration: seconds,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: BODY,
      });
    for (const subject of subjects) {
      log(`template: warm-up ${subject.name}`);
      await load((running.get(subject.name) as Started).port, WARMUP_S);
    }
    for (let round = 0; round < ROUNDS; round++) {
      log(`template: throughput round ${round + 1}/${ROUNDS} (${subjects.length} servers, ${ROUND_S} s each, 32 connections)`);
      const order = names.map((_, i) => names[(i + round) % names.length] as string);
      if (round % 2 === 1) order.reverse();
      for (const name of order) {
        const started = running.get(name) as Started;
        const cpuBefore = cpuTimeMs(started.child.pid as number);
        const result = await load(started.port, ROUND_S);
        if (result.non2xx > 0 || result.errors > 0) throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
        cpuPerK.get(name)?.push(((cpuTimeMs(started.child.pid as number) - cpuBefore) / (result.requests.average * ROUND_S)) * 1000);
        rps.get(name)?.push(result.requests.average);
        p99.get(name)?.push(result.latency.p99);
      }
    }
    await Promise.all([...running.values()].map((s) => stop(s.child)));

    // 2 + 3. Start time and idle RSS, spawns interleaved.
    const startMs = perServer();
    const cpuMs = perServer();
    const rss = perServer();
    for (let i = 0; i < SPAWNS; i++) {
      for (const subject of subjects) {
        const started = await startSubject(subject);
        startMs.get(subject.name)?.push(started.startMs);
        cpuMs.get(subject.name)?.push(started.cpuMs);
        for (let r = 0; r < 50; r++) await post(started.port);
        await new Promise((r) => setTimeout(r, 150));
        rss.get(subject.name)?.push(rssMiB(started.child.pid as number));
        await stop(started.child);
      }
      log(`template: spawn round ${i + 1}/${SPAWNS}`);
    }

    // 4. Instructions per request (valgrind): the baseline and the shipped TypeScript function in both
    // windows, at once on the 2 cores; node22, about 7 times the work per request, in the early one only.
    const instructions = new Map<string, Map<Window, number>>();
    const valgrind = hasValgrind();
    if (valgrind) {
      const count = async (subject: Subject, windows: readonly Window[]): Promise<void> => {
        const spans = windows.map((w) => `${WINDOWS[w][0]}-${WINDOWS[w][1]}`).join(" and ");
        log(`template: instructions per request of ${subject.name} (valgrind callgrind, requests ${spans}; about 2 minutes)`);
        instructions.set(subject.name, await instructionsPerRequest(subject, windows, autocannon, work));
      };
      await Promise.all([count(bare, ["early", "settled"]), count(shippedTs, ["early", "settled"])]);
      if (upstream) await count(upstream, ["early"]);
    }

    const baseline = bare.name;
    /** Per round, a server's figure over the baseline's in the same round. */
    const roundRatios = (samples: Map<string, number[]>, name: string): number[] => {
      const own = samples.get(name) ?? [];
      const base = samples.get(baseline) ?? [];
      return own.map((value, i) => value / (base[i] as number));
    };
    const x = (ratio: number): string => `${ratio.toFixed(2)}×`;
    /** Median and quartiles of the per-round ratios: "0.95× (0.91–0.99)". */
    const roundCell = (samples: Map<string, number[]>, name: string, digits: number): string => {
      const ratios = roundRatios(samples, name);
      const value = median(samples.get(name) ?? []).toFixed(digits);
      return name === baseline ? `${value} (1.00×)` : `${value} (${x(median(ratios))}; ${quantile(ratios, 0.25).toFixed(2)}–${quantile(ratios, 0.75).toFixed(2)})`;
    };
    const medianCell = (samples: Map<string, number[]>, name: string, digits: number): string => {
      const value = median(samples.get(name) ?? []);
      return `${value.toFixed(digits)} (${x(value / median(samples.get(baseline) ?? []))})`;
    };
    const instructionCell = (name: string, window: Window): string => {
      const value = instructions.get(name)?.get(window);
      const base = instructions.get(baseline)?.get(window);
      return value === undefined || base === undefined ? "" : `${(value / 1000).toFixed(1)} (${x(value / base)})`;
    };
    const [early, settled] = [WINDOWS.early, WINDOWS.settled].map(([from, to]) => `${from.toLocaleString("en")}–${to.toLocaleString("en")}`);
    const columns = [
      "server",
      `throughput (req/s, 32 connections; ratio: median over ${ROUNDS} rounds, then quartiles), target ≥ 0.90×`,
      "latency p99 under that load (ms)",
      "server CPU per 1,000 of those requests (ms; ratio as throughput's)",
      `instructions per request, requests ${settled} (thousands, callgrind)`,
      `instructions per request, requests ${early}, V8 still compiling (thousands)`,
      `start → first answer (ms, median of ${SPAWNS}), target ≤ 1.10×`,
      `CPU time to the first answer (ms, median of ${SPAWNS})`,
      `idle RSS (MiB, median of ${SPAWNS}), target ≤ 1.10×`,
    ];
    const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    const rows = subjects.map((subject) => {
      const name = subject.name;
      return [
        name,
        roundCell(rps, name, 0),
        // autocannon reports latency in whole milliseconds: a ratio of those would mislead.
        mean(p99.get(name) ?? []).toFixed(1),
        roundCell(cpuPerK, name, 1),
        instructionCell(name, "settled"),
        instructionCell(name, "early"),
        medianCell(startMs, name, 1),
        medianCell(cpuMs, name, 1),
        medianCell(rss, name, 1),
      ];
    });
    const section: BenchSection = {
      title: `Template server: POST small JSON, echoed back (Node ${process.version}; ratios against ${baseline})`,
      columns,
      rows,
      notes: [
        `Body ${Buffer.byteLength(BODY)} bytes. Throughput: autocannon in the bench process, sharing the 2 cores with the server under load, so it is partly the client's; after a ${WARMUP_S} s warm-up per server, ${ROUNDS} rounds load every server once for ${ROUND_S} s, in an order rotated each round. req/s is a server's median round; its ratio is the median over the rounds of its req/s divided by the baseline's in the same round, followed by the lower and upper quartiles of those ratios. "${baseline}, second process" is the baseline again: its ratio shows how far two identical servers differ in this run. Server CPU is the process's own time (/proc schedstat) per 1,000 requests of those rounds. Instructions per request: user-space instructions counted by valgrind's callgrind in one process, sequential requests on one connection, between the request counts named (callgrind_control dumps at the edges; the same count run after run; system calls, the same for every server here, are not in it). In the early window V8 is still compiling the hot path, which costs a server with more code more; the settled window is the server's own work per request${valgrind ? "" : "; valgrind was not found, so those columns are empty"}. Start and RSS spawns interleaved. Targets apply to the shipped layout.` +
          (upstreamDir ? "" : " Set UPSTREAM_NODE22_DIR to a copy of the official node22 template to add it as a row."),
      ],
    };
    return [section];
  } finally {
    await Promise.all([...children].map(stop));
    rmSync(work, { recursive: true, force: true });
  }
};

export default bench;
