/** Test fixtures: tiny local HTTP servers on 127.0.0.1:0, fake JWTs, token directories. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** A request as the fake server saw it. */
export interface SeenRequest {
  method: string;
  url: URL;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A fake server route; what it returns is ignored, except that a rejected promise answers 599 with the error. */
export type Route = (req: SeenRequest, res: ServerResponse, raw: IncomingMessage) => unknown;

export interface TestServer {
  url: string;
  port: number;
  server: Server;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** Starts an HTTP server whose every request body is read before `route` runs. */
export async function startServer(route: Route, port = 0): Promise<TestServer> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on("data", (c: Buffer) => chunks.push(c));
    raw.on("end", () => {
      const req: SeenRequest = {
        method: raw.method ?? "GET",
        url: new URL(raw.url ?? "/", "http://127.0.0.1"),
        headers: raw.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      seen.push(req);
      Promise.resolve(route(req, res, raw)).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(599).end(String(error));
      });
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    server,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Sends a JSON answer. */
export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** An unsigned but well-formed JWT (the SDK never verifies; the gateway does). */
export function fakeJwt(claims: Record<string, unknown>): string {
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${enc({ alg: "RS256", typ: "JWT" })}.${enc(claims)}.${Buffer.from("signature-bytes-here").toString("base64url")}`;
}

/** A fake service account token valid for `seconds`. */
export function saToken(sub = "system:serviceaccount:dev:fn", seconds = 3600, extra: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  return fakeJwt({ iss: "https://kubernetes.default.svc.cluster.local", sub, aud: ["http://gw"], iat: now, exp: now + seconds, ...extra });
}

/** A fake gateway: `/oauth/token` issues numbered access tokens; other routes by `api`. */
export interface FakeGateway extends TestServer {
  exchanges: SeenRequest[];
  /** Access tokens issued so far, in order. */
  issued: string[];
  /** Tokens the API accepts (all issued ones unless revoked). */
  revoked: Set<string>;
}

export interface FakeGatewayOptions {
  /** Answer of the token endpoint; default issues `access-N` JWTs with expires_in 3600. */
  token?: (req: SeenRequest, res: ServerResponse, n: number) => void | Promise<void>;
  /** API routes; default 200 `[]`. Called only with a valid bearer token unless `open`. */
  api?: Route;
  /** Skip bearer checks. */
  open?: boolean;
  expiresIn?: number;
}

export async function startFakeGateway(options: FakeGatewayOptions = {}): Promise<FakeGateway> {
  const exchanges: SeenRequest[] = [];
  const issued: string[] = [];
  const revoked = new Set<string>();
  const server = await startServer(async (req, res, raw) => {
    if (req.url.pathname === "/oauth/token") {
      exchanges.push(req);
      const n = exchanges.length;
      if (options.token) return options.token(req, res, n);
      const token = fakeJwt({ sub: `fed:n${n}`, n, exp: Math.floor(Date.now() / 1000) + 7200 });
      issued.push(token);
      return json(res, 200, { access_token: token, token_type: "Bearer", expires_in: options.expiresIn ?? 3600, issued_token_type: "urn:ietf:params:oauth:token-type:id_token" });
    }
    if (!options.open) {
      const auth = req.headers.authorization ?? "";
      const token = auth.startsWith("Bearer ") ? auth.slice(7) : "";
      if (!issued.includes(token) || revoked.has(token)) {
        res.writeHead(401, { "www-authenticate": "Bearer" }).end("unauthorized");
        return;
      }
    }
    if (options.api) return options.api(req, res, raw);
    json(res, 200, []);
  });
  return Object.assign(server, { exchanges, issued, revoked });
}

/** How a streamed answer ended. */
export interface StreamOutcome {
  /** Body bytes written before the end. */
  written: number;
  /** Whether all of it was written (false: the client dropped the connection first). */
  finished: boolean;
}

/**
 * Streams `total` bytes of `fill` (after `prefix`) in 64 KiB chunks, waiting for `drain` as a real
 * server would, and resolves when the body is complete or the client has closed the connection.
 * Nothing of size `total` is ever held in memory here.
 */
export function streamBody(res: ServerResponse, total: number, options: { prefix?: string; fill?: string; status?: number; headers?: Record<string, string> } = {}): Promise<StreamOutcome> {
  const chunk = Buffer.alloc(64 * 1024, options.fill ?? " ");
  res.writeHead(options.status ?? 200, { "content-type": "application/json", ...options.headers });
  let written = 0;
  return new Promise((resolve) => {
    let done = false;
    const end = (finished: boolean): void => {
      if (done) return;
      done = true;
      resolve({ written, finished });
    };
    res.on("close", () => end(written >= total));
    const pump = (): void => {
      if (written === 0 && options.prefix) {
        res.write(options.prefix);
        written += Buffer.byteLength(options.prefix);
      }
      while (written < total && !res.destroyed) {
        const piece = total - written >= chunk.length ? chunk : chunk.subarray(0, total - written);
        written += piece.length;
        if (!res.write(piece)) return void res.once("drain", pump);
      }
      if (!res.destroyed) res.end();
    };
    pump();
  });
}
