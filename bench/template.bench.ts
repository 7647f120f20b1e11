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
 * Measured: throughput (autocannon, 32 connections, a 2 s warm-up per server, then rounds in which each
 * server is loaded right next to the baseline, order swapped every round; the ratio is the median of
 * those pairs' ratios, since the client shares the 2 cores and drifts by tens of per cent between
 * rounds), the server's own CPU time per 1,000 of those requests (the cost the client cannot hide); time from
 * spawn to the first answered request (median of N spawns, interleaved), and the CPU time the process
 * used until then (which a busy machine disturbs less); idle RSS of those processes after 50 requests
 * and 150 ms of rest; with valgrind, instructions per request after start-up (repeatable, unlike time).
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
const SPAWNS = 21;
const WARMUP_S = 2;
const ROUND_S = 2;
/** Throughput rounds: in each, every server is loaded right after (or before) the baseline. */
const ROUNDS = 4;

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
 * Requests after which callgrind's count is read: their difference leaves out start-up and the first
 * compiles. V8 still optimises in that window (under valgrind more slowly than at full speed), so the
 * figure includes some compiling, which weighs more for a server with more code.
 */
const COUNT_AFTER = [2000, 6000] as const;

/** Whether valgrind is on PATH (Debian's package; the instruction count is left out without it). */
function hasValgrind(): boolean {
  return spawnSync("valgrind", ["--version"], { stdio: "ignore" }).status === 0;
}

/**
 * User-space instructions `subject` executes until it exits after `requests` sequential requests (one
 * connection), counted by valgrind's callgrind: the same figure run after run, whatever else the
 * machine does, where time and throughput on 2 shared cores drift by tens of per cent.
 */
async function instructionsAfter(subject: Subject, requests: number, autocannon: Autocannon, work: string): Promise<number> {
  const port = await freePort();
  const file = join(work, `callgrind-${port}.out`);
  const args = ["--tool=callgrind", "--smc-check=all-non-file", `--callgrind-out-file=${file}`, subject.command, ...subject.args];
  const server = spawnServer("valgrind", args, subject, port);
  const exited = new Promise<void>((r) => server.child.once("exit", () => r()));
  await firstAnswer(`${subject.name} under valgrind`, server, port, 120_000, 100);
  const result = await autocannon({ url: `http://127.0.0.1:${port}/`, connections: 1, amount: requests, method: "POST", headers: { "content-type": "application/json" }, body: BODY });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${subject.name} under valgrind: ${result.non2xx} non-2xx, ${result.errors} errors`);
  // SIGINT: callgrind writes its count as the process ends (the template drains first: up to healthcheck_interval).
  server.child.kill("SIGINT");
  const killer = setTimeout(() => server.child.kill("SIGKILL"), 60_000);
  await exited;
  clearTimeout(killer);
  children.delete(server.child);
  const collected = /Collected : (\d+)/.exec(server.stderr())?.[1];
  if (collected === undefined) throw new Error(`${subject.name}: callgrind wrote no count:\n${server.stderr().slice(-2000)}`);
  return Number(collected);
}

/** Instructions per request between the COUNT_AFTER marks: the counts of two runs (at once, on the 2 cores) subtracted. */
async function instructionsPerRequest(subject: Subject, autocannon: Autocannon, work: string): Promise<number> {
  const [few, many] = await Promise.all(COUNT_AFTER.map((n) => instructionsAfter(subject, n, autocannon, work)));
  return ((many as number) - (few as number)) / (COUNT_AFTER[1] - COUNT_AFTER[0]);
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
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

const bench: BenchModule = async (log) => {
  const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;
  const work = mkdtempSync(join(tmpdir(), "template-bench-"));
  const subjects: Subject[] = [
    { name: "bare CJS", command: process.execPath, args: [join(here, "fixtures/bare-server.cjs")], cwd: repo, env: {} },
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
    subjects.push(await shippedSubject("shipped, TS", join(repo, "bench/fixtures/echo-function"), work, log));
    subjects.push(await shippedSubject("shipped, node22 folder", join(repo, "bench/fixtures/node22-echo"), work, log));
    const upstream = upstreamDir ? node22Subject(resolve(upstreamDir), work) : undefined;
    if (upstreamDir && !upstream) log(`UPSTREAM_NODE22_DIR=${upstreamDir} has no index.js; node22 column left out`);
    if (upstream) subjects.push(upstream);

    // 1. Throughput.
    const rps = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
    const p99 = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
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
    const baselineName = (subjects[0] as Subject).name;
    /** Per server: the ratio of each of its rounds to the baseline round next to it. */
    const pairRatio = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
    /** Per server: its CPU milliseconds per 1,000 requests in each round. */
    const cpuPerK = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
    const measure = async (name: string): Promise<number> => {
      const started = running.get(name) as Started;
      log(`template: throughput ${name} (${ROUND_S} s, 32 connections)`);
      const cpuBefore = cpuTimeMs(started.child.pid as number);
      const result = await load(started.port, ROUND_S);
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      cpuPerK.get(name)?.push(((cpuTimeMs(started.child.pid as number) - cpuBefore) / (result.requests.average * ROUND_S)) * 1000);
      rps.get(name)?.push(result.requests.average);
      p99.get(name)?.push(result.latency.p99);
      return result.requests.average;
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const subject of subjects.slice(1)) {
        const [first, second] = round % 2 === 0 ? [baselineName, subject.name] : [subject.name, baselineName];
        const a = await measure(first);
        const b = await measure(second);
        pairRatio.get(subject.name)?.push(first === baselineName ? b / a : a / b);
      }
    }
    pairRatio.set(baselineName, [1]);
    await Promise.all([...running.values()].map((s) => stop(s.child)));

    // 2 + 3. Start time and idle RSS, spawns interleaved.
    const startMs = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
    const cpuMs = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
    const rss = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
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

    // 4. Instructions per request (valgrind), for the baseline, the shipped TypeScript function and node22.
    const counted = hasValgrind() ? subjects.filter((s) => s.name === "bare CJS" || s.name === "shipped, TS" || s.name === "node22") : [];
    const instructions = new Map<string, number[]>();
    for (const subject of counted) {
      log(`template: instructions per request of ${subject.name} (valgrind callgrind, ${COUNT_AFTER.join(" and ")} requests; about a minute)`);
      instructions.set(subject.name, [await instructionsPerRequest(subject, autocannon, work)]);
    }

    const mean = (values: number[] | undefined): number => (values ?? []).reduce((a, b) => a + b, 0) / Math.max(1, values?.length ?? 0);
    const baseline = subjects[0] as Subject;
    const samples = { start: startMs, cpu: cpuMs, rss, cpuPerK, instructions } as const;
    const cell = (name: string, metric: "rps" | "p99" | keyof typeof samples): number =>
      metric === "rps" ? median(rps.get(name) ?? []) : metric === "p99" ? mean(p99.get(name)) : median(samples[metric].get(name) ?? []);
    /** The ratio shown for a metric: throughput by its paired rounds, the rest against the baseline's median. */
    const ratio = (name: string, metric: "rps" | "p99" | keyof typeof samples): number =>
      metric === "rps" ? median(pairRatio.get(name) ?? []) : cell(name, metric) / cell(baseline.name, metric);
    const rows: (string | number)[][] = [];
    const metrics = [
      ["throughput (req/s, 32 connections; ratio: median of paired rounds)", "rps", 0, "≥ 0.90×"],
      ["latency p99 under that load (ms)", "p99", 1, undefined],
      ["server CPU per 1,000 of those requests (ms)", "cpuPerK", 1, ""],
      ["instructions per request (thousands, callgrind)", "instructions", 1, ""],
      [`start → first answer (ms, median of ${SPAWNS})`, "start", 1, "≤ 1.10×"],
      [`CPU time to the first answer (ms, median of ${SPAWNS})`, "cpu", 1, ""],
      [`idle RSS (MiB, median of ${SPAWNS})`, "rss", 1, "≤ 1.10×"],
    ] as const;
    for (const subject of subjects) {
      const row: (string | number)[] = [subject.name];
      for (const [, metric, digits, target] of metrics) {
        if (metric === "instructions" && !instructions.has(subject.name)) {
          row.push("");
          continue;
        }
        const value = metric === "instructions" ? cell(subject.name, metric) / 1000 : cell(subject.name, metric);
        // autocannon reports latency in whole milliseconds: a ratio of those would mislead.
        row.push(target === undefined ? value.toFixed(digits) : `${value.toFixed(digits)} (${ratio(subject.name, metric).toFixed(2)}×)`);
      }
      rows.push(row);
    }
    const section: BenchSection = {
      title: `Template server: POST small JSON, echoed back (Node ${process.version}; ratios against ${baseline.name})`,
      columns: ["server", ...metrics.map(([label, , , target]) => (target ? `${label}, target ${target}` : label))],
      rows,
      notes: [
        `Body ${Buffer.byteLength(BODY)} bytes; autocannon in the bench process, sharing the 2 cores with the server under load, so throughput is partly the client's; after a ${WARMUP_S} s warm-up per server, ${ROUNDS} rounds load each server for ${ROUND_S} s right next to the baseline (order swapped every round): req/s is the median of a server's rounds, its ratio the median of its pairs' ratios. Server CPU is the process's own time (/proc schedstat) per 1,000 requests of those rounds. Instructions per request: user-space instructions counted by valgrind's callgrind between ${COUNT_AFTER[0]} and ${COUNT_AFTER[1]} sequential requests on one connection (the same count run after run; system calls, the same for every server here, are not in it)${counted.length === 0 ? "; valgrind was not found, so the column is empty" : ""}. Start and RSS spawns interleaved. Targets apply to the shipped layout.` +
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
