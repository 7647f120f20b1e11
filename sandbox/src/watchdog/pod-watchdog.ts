/**
 * The sandbox's stand-in for of-watchdog in a function's pod: the gateway sends every invocation
 * (sync, and the queue worker's calls for async ones) to this listener, which sits in front of the
 * function's process as the watchdog sits in front of the function in its container. It serves
 * `/_/health` and `/_/ready` itself, as the watchdog registers them apart from `/`, and, when the
 * deployment sets `jwt_auth=true`, lets a request through to the function only with a function
 * access token for it ({@link FunctionAuthenticator}). Everything else is proxied unchanged.
 */
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { endToEndHeaders } from "../http/hop-by-hop.js";
import { DEFAULT_READ_TIMEOUT_MS, readTimeoutOptions } from "../http/read-timeout.js";
import { FUNCTION_REALM, type FunctionAuthenticator } from "./function-auth.js";

/** How to start one pod's watchdog. */
export interface PodWatchdogOptions {
  /** The Unix socket the function process listens on (its `upstream_url`): no other program reaches the process. */
  upstreamSocket: string;
  /** The function's readiness path (`ready_path`), to which `GET /_/ready` is forwarded. */
  readyPath: string;
  /** Present when the deployment has `jwt_auth=true`. */
  auth?: FunctionAuthenticator;
  /** A line for the function's log, as the watchdog prints one for each refused request. */
  log: (text: string) => void;
  /** A request not received whole within this many ms is cut (408), as of-watchdog's `read_timeout` does; default {@link DEFAULT_READ_TIMEOUT_MS}. */
  readTimeoutMs?: number;
}

/** One pod's watchdog, listening on its own port of 127.0.0.1. */
export class PodWatchdog {
  private readonly agent = new Agent({ keepAlive: true });

  private constructor(
    private readonly server: Server,
    private readonly options: PodWatchdogOptions,
  ) {}

  /** Starts listening on a free port. */
  static async start(options: PodWatchdogOptions): Promise<PodWatchdog> {
    let watchdog: PodWatchdog | undefined;
    const server = createServer(readTimeoutOptions(options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS), (req, res) => {
      watchdog!.serve(req, res).catch(() => res.destroy());
    });
    watchdog = new PodWatchdog(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    return watchdog;
  }

  /** The pod's address: where the gateway sends invocations. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Closes the listener and every connection. */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.agent.destroy();
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? "/";
    const path = target.split("?")[0]!;
    if (path === "/_/health") return this.health(req, res);
    if (path === "/_/ready") return this.ready(req, res);
    const auth = this.options.auth;
    if (auth) {
      const started = Date.now();
      const decision = await auth.check(req.headers.authorization);
      if (!decision.allowed) {
        // The path only: a query string may carry anything, a token included.
        this.options.log(`${req.method} ${path} - ${decision.status} ACCESS DENIED - (${Date.now() - started}ms)`);
        req.resume();
        const headers: Record<string, string> = { "x-openfaas-internal": "faas-middleware" };
        if (decision.status === 401) headers["www-authenticate"] = `Bearer realm=${FUNCTION_REALM}`;
        return plainText(res, decision.status, `${decision.message}\n`, headers);
      }
    }
    this.forward(req, res, req.method ?? "GET", target, req.headers, req);
  }

  /** `/_/health`: the watchdog checks only its own lock file, which exists while the pod serves. */
  private health(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    if (req.method !== "GET") return empty(res, 405);
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": 2 });
    res.end("OK");
  }

  /** `/_/ready`: forwarded to the function's `ready_path`, whose answer is passed on. */
  private ready(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    if (req.method !== "GET") return empty(res, 405);
    this.forward(req, res, "GET", this.options.readyPath, req.headers, undefined);
  }

  private forward(req: IncomingMessage, res: ServerResponse, method: string, target: string, headers: IncomingHttpHeaders, body: IncomingMessage | undefined): void {
    const out = endToEndHeaders(headers);
    if (!body) delete out["content-length"];
    const upstream = httpRequest({ socketPath: this.options.upstreamSocket, method, path: target, headers: out, agent: this.agent }, (up) => {
      res.writeHead(up.statusCode ?? 502, endToEndHeaders(up.headers));
      up.pipe(res);
      up.once("error", () => res.destroy());
    });
    upstream.once("error", (err) => {
      if (res.headersSent) return void res.destroy();
      const text = JSON.stringify({ message: `the function did not answer: ${err.message}` });
      res.writeHead(502, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
      res.end(text);
    });
    // A caller that goes away takes its invocation with it: the function sees the request close.
    res.once("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    if (body) body.pipe(upstream);
    else upstream.end();
  }
}

/** A plain-text answer with the headers Go's `http.Error` sets. */
function plainText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function empty(res: ServerResponse, status: number): void {
  res.writeHead(status, { "content-length": 0 });
  res.end();
}
