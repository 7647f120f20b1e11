/**
 * The real OpenFaaS programs as test peers: faas-cli and of-watchdog, read from `../shared/peers`
 * (or `OPENFAAS_PEERS_DIR`, set by vitest.conformance.config.ts). Never copied into the project.
 *
 * Two machine-wide resources of of-watchdog 0.10.1 shape this harness:
 * - its Prometheus listener is hard-wired to port 8081 (`metrics_port` is not read by 0.10.1; a second
 *   watchdog on the machine panics with "address already in use"), so only one watchdog runs at a time,
 *   across test files and across checkouts: {@link startWatchdog} holds the `of-watchdog` machine lock;
 * - with `jwt_auth_local=true` it fetches the issuer's discovery from http://127.0.0.1:8000, so a gateway
 *   for such a test must listen there: hold the `port-8000` lock ({@link machineLock}) while it does.
 * Its lock file is `$TMPDIR/.lock` (Go's os.TempDir), so each watchdog gets a TMPDIR of its own.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { alive, cleanEnv as peerEnv, freePort } from "../../template/support/process.js";

export { freePort, peerEnv };

/** Where the peer binaries are (set by the conformance config; resolved here too for direct use). */
export const PEERS_DIR = resolve(process.env["OPENFAAS_PEERS_DIR"] ?? resolve(import.meta.dirname, "../../../../shared/peers"));

/** Path of a peer binary; throws naming the directory when it is missing. */
export function peer(name: "faas-cli" | "of-watchdog"): string {
  const path = join(PEERS_DIR, name);
  if (!existsSync(path)) throw new Error(`conformance: ${name} not found in ${PEERS_DIR} (set OPENFAAS_PEERS_DIR)`);
  return path;
}

/**
 * Takes a lock shared by every process on the machine (a directory holding the owner's pid); a lock
 * whose owner has died is taken over. Resolves with the release function.
 */
export async function machineLock(name: string, timeoutMs = 180_000): Promise<() => void> {
  const dir = join(tmpdir(), `node-ts-iam-peer-${name}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, "pid"), String(process.pid));
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        process.off("exit", release);
        rmSync(dir, { recursive: true, force: true });
      };
      process.on("exit", release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let owner = Number.NaN;
    try {
      owner = Number(readFileSync(join(dir, "pid"), "utf8"));
    } catch {
      // Being written or removed right now: look again shortly.
    }
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) rmSync(dir, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`conformance: machine lock ${name} still held by pid ${owner} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The pids of the children of `pid` (Linux /proc), e.g. the function process a watchdog started. */
export function childPids(pid: number): number[] {
  const tasks = readdirSync(`/proc/${pid}/task`);
  return tasks.flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, "utf8")
      .split(/\s+/)
      .filter((text) => text !== "")
      .map(Number),
  );
}

/** The outcome of one faas-cli run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real faas-cli. `home` is required: faas-cli keeps its login in `$HOME/.openfaas`, and a test
 * must never read or write the developer's own. `OPENFAAS_CONFIG` pins it there: with `CI=true` (as CI
 * services set it) and no `OPENFAAS_CONFIG`, faas-cli keeps its config in `./.openfaas` of the working
 * directory instead (config/config_file.go, ConfigDir), so a login in one folder is not seen from another.
 */
export function faasCli(args: string[], options: { home: string; cwd?: string; env?: Record<string, string>; stdin?: string; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(peer("faas-cli"), args, {
      cwd: options.cwd ?? options.home,
      env: peerEnv({ HOME: options.home, OPENFAAS_CONFIG: join(options.home, ".openfaas"), ...options.env }),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
    // faas-cli may exit before reading stdin (most commands never do): a closed pipe is not an error.
    child.stdin.on("error", () => {});
    child.stdin.end(options.stdin ?? "");
  });
}

/** A running of-watchdog. */
export interface Watchdog {
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcess;
  /** The TMPDIR given to the watchdog (its lock file is `<tmp>/.lock`). */
  readonly tmp: string;
  /** Everything the watchdog (and the function it forwards logs of) wrote so far. */
  logs(): string;
  /** Resolves with the exit code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends SIGTERM, waits for the exit (SIGKILL after `graceMs`), releases the machine lock. */
  stop(graceMs?: number): Promise<void>;
}

/** GET on 127.0.0.1:`port` answering the status, or 0 when nothing answers. */
function probe(port: number, path: string): Promise<number> {
  return new Promise((resolveStatus) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, agent: false, timeout: 2_000 }, (res) => {
      res.resume();
      res.on("end", () => resolveStatus(res.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolveStatus(0));
    req.end();
  });
}

/**
 * A free port for the watchdog that is not the function's: the caller took the function's port
 * (`http_port`, `upstream_url`) from {@link freePort} a moment before, and a port probed and closed is
 * free again, so the next probe may return the same one (the function then fails with EADDRINUSE).
 */
async function watchdogPort(env: Record<string, string>): Promise<number> {
  const taken = new Set([env["http_port"], /:(\d+)/.exec(env["upstream_url"] ?? "")?.[1]].filter((p) => p !== undefined).map(Number));
  for (;;) {
    const port = await freePort();
    if (!taken.has(port)) return port;
  }
}

/**
 * Starts of-watchdog (`mode=http`) in front of `fprocess`, on a free port and with its own TMPDIR,
 * holding the machine-wide `of-watchdog` lock until it is stopped, and waits until `/_/ready`
 * answers 200: the lock file is written and, when `ready_path` is set, the watchdog forwarded that
 * path to the function and got 200 (without `ready_path` the watchdog cannot know the function listens).
 * `env` is the watchdog's environment (and so the function's): `fprocess`, `upstream_url`,
 * `http_port`, timeouts, `jwt_auth`, ….
 */
export async function startWatchdog(options: { cwd: string; env: Record<string, string>; waitReady?: boolean; startTimeoutMs?: number }): Promise<Watchdog> {
  const release = await machineLock("of-watchdog");
  try {
    const port = await watchdogPort(options.env);
    const tmp = mkdtempSync(join(tmpdir(), "node-ts-iam-watchdog-"));
    const child = spawn(peer("of-watchdog"), [], {
      cwd: options.cwd,
      env: peerEnv({ mode: "http", ...options.env, port: String(port), TMPDIR: tmp }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let logs = "";
    child.stdout?.on("data", (c: Buffer) => (logs += c.toString("utf8")));
    child.stderr?.on("data", (c: Buffer) => (logs += c.toString("utf8")));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
    let done = false;
    void exited.then(() => {
      done = true;
      release();
      rmSync(tmp, { recursive: true, force: true });
    });
    const watchdog: Watchdog = {
      port,
      url: `http://127.0.0.1:${port}`,
      child,
      tmp,
      logs: () => logs,
      exited,
      async stop(graceMs = 30_000) {
        if (!done) {
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
          await exited;
          clearTimeout(timer);
        }
        release();
      },
    };
    if (options.waitReady === false) return watchdog;
    const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
    while ((await probe(port, "/_/ready")) !== 200) {
      if (done) throw new Error(`of-watchdog exited before it was ready:\n${logs}`);
      if (Date.now() > deadline) {
        await watchdog.stop(1_000);
        throw new Error(`of-watchdog not ready after ${options.startTimeoutMs ?? 20_000} ms:\n${logs}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    return watchdog;
  } catch (error) {
    release();
    throw error;
  }
}
