/** Child-process servers and a precise HTTP client for the template tests. */
import { spawn, type ChildProcess } from "node:child_process";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { createServer } from "node:net";

/** An answer, with the body as bytes and as text. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  text: string;
}

/** Options of one request; `body` is sent as given, with no implicit Content-Type. */
export interface RequestOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  /** Send the body in this many chunks without Content-Length (chunked transfer). */
  chunked?: boolean;
  agent?: import("node:http").Agent | false;
}

/** Sends one request to 127.0.0.1:`port`. */
export function send(port: number, options: RequestOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body !== undefined && !options.chunked && headers["content-length"] === undefined) {
      headers["content-length"] = Buffer.byteLength(options.body);
    }
    const req = httpRequest(
      { host: "127.0.0.1", port, method: options.method ?? "GET", path: options.path ?? "/", headers, agent: options.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const raw = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, text: raw.toString("utf8") });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Whether a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The environment without npm's run-script variables (they would steer child npm/node processes). */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith("npm_") && key !== "NODE_OPTIONS" && !key.startsWith("VITEST")) env[key] = value;
  }
  return { ...env, ...extra };
}

/** A server started as a child process. */
export interface ChildServer {
  readonly child: ChildProcess;
  readonly port: number;
  /** Everything the child wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends SIGKILL if still running (cleanup). */
  kill(): void;
}

/** Starts `command args` with `http_port` set to a free port and waits until `readyPath` answers 200. */
export async function startChild(options: {
  command: string;
  args: string[];
  cwd: string;
  env?: Record<string, string>;
  readyPath?: string;
  waitReady?: boolean;
}): Promise<ChildServer> {
  const port = await freePort();
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: cleanEnv({ ...options.env, http_port: String(port) }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  child.stdout?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const server: ChildServer = {
    child,
    port,
    stderr: () => stderr,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
  if (options.waitReady === false) return server;
  const deadline = Date.now() + 15_000;
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  for (;;) {
    if (exitedEarly) throw new Error(`server exited before it was ready:\n${stderr}`);
    try {
      const answer = await send(port, { path: options.readyPath ?? "/_/ready" });
      if (answer.status === 200) return server;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      server.kill();
      throw new Error(`server not ready after 15 s:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
