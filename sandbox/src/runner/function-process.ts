import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";

/** How to start one function instance. */
export interface ProcessSpec {
  /** Instance (pod) name, used in log lines. */
  instance: string;
  serverScript: string;
  /** Preloaded module that stops the process when the sandbox dies (pod-guard.js). */
  guardScript: string;
  env: Record<string, string>;
  /** Working directory; default the sandbox's own. */
  cwd?: string;
  /** The Unix socket the server listens on (`http_socket` in `env`). */
  socket: string;
  readyPath: string;
  onLine: (stream: "stdout" | "stderr", text: string) => void;
  onExit: (code: number | null, signal: NodeJS.Signals | null) => void;
}

const READY_TIMEOUT_MS = 20_000;
/** Lines of a process's first output kept to explain a start that failed (a handler that throws at import). */
const FIRST_LINES = 12;
const STOP_GRACE_MS = 5_000;

/** One running function server (`node <template>/dist/main.js`), the sandbox's stand-in for a pod. */
export class FunctionProcess {
  private readonly child: ChildProcess;
  private exited = false;
  private exitStatus = "";
  private readonly exitPromise: Promise<void>;
  /** The process's first lines of output, for the error of a start that failed. */
  private readonly firstLines: string[] = [];

  constructor(private readonly spec: ProcessSpec) {
    // The IPC channel carries no messages: its closing tells the pod guard that the sandbox died.
    this.child = spawn(process.execPath, ["--import", pathToFileURL(spec.guardScript).href, spec.serverScript], { env: spec.env, ...(spec.cwd ? { cwd: spec.cwd } : {}), stdio: ["ignore", "pipe", "pipe", "ipc"] });
    this.child.channel?.unref();
    this.exitPromise = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.exited = true;
        this.exitStatus = signal ?? `code ${code}`;
        resolve();
        spec.onExit(code, signal);
      });
      this.child.once("error", (err) => {
        spec.onLine("stderr", `sandbox: could not start the function process: ${err.message}`);
      });
    });
    for (const stream of ["stdout", "stderr"] as const) {
      const source = this.child[stream];
      if (!source) continue;
      createInterface({ input: source }).on("line", (line) => {
        if (this.firstLines.length < FIRST_LINES) this.firstLines.push(line);
        spec.onLine(stream, line);
      });
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Polls the readiness path until it answers 200; rejects if the process exits or the wait times out. */
  async waitReady(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) {
        // The output may trail the exit by a moment: what the process printed is its reason.
        await sleep(50);
        const said = this.firstLines.length > 0 ? `; its first lines:\n${this.firstLines.map((l) => `    | ${l}`).join("\n")}` : " without a word";
        throw new Error(`${this.spec.instance} exited (${this.exitStatus}) before it was ready${said}`);
      }
      if ((await readiness(this.spec.socket, this.spec.readyPath)) === 200) return;
      await sleep(40);
    }
    throw new Error(`${this.spec.instance} was not ready at ${this.spec.readyPath} within ${timeoutMs} ms`);
  }

  /** SIGTERM by pid, then SIGKILL after a grace period; resolves when the process has exited. */
  async stop(): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => {
      if (!this.exited) this.child.kill("SIGKILL");
    }, STOP_GRACE_MS);
    await this.exitPromise;
    clearTimeout(timer);
  }
}

/** The status `GET <path>` answers on the socket, or 0 while nothing listens there (or it does not answer within a second). */
function readiness(socketPath: string, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.once("end", () => resolve(res.statusCode ?? 0));
      res.once("error", () => resolve(0));
    });
    req.once("timeout", () => req.destroy());
    req.once("error", () => resolve(0));
    req.end();
  });
}
