/**
 * A body that stalls after its head: the attempt fails after `bodyIdleTimeoutMs` without a chunk,
 * an idempotent call is retried (a POST is not), and all of it stays within the call's deadline.
 * A slow but steady body is not a stall; a log stream may idle as long as it likes.
 */
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Client, StaticTokenSource, TimeoutError, TokenAuth, type BeforeRetryContext } from "@node-ts-iam/sdk";
import { json, startServer, type SeenRequest, type TestServer } from "./helpers.js";

let server: TestServer;
/** What the n-th API request (1-based) gets. */
let plan: (n: number, req: SeenRequest, res: ServerResponse) => void;
let apiRequests = 0;
/** Connections of stalled answers that the client closed. */
let stallsClosed = 0;
const timers = new Set<NodeJS.Timeout>();

beforeAll(async () => {
  server = await startServer((req, res) => {
    if (req.url.pathname === "/oauth/token") return json(res, 200, { access_token: "access-token", token_type: "Bearer", expires_in: 3600 });
    plan(++apiRequests, req, res);
  });
});
afterAll(async () => {
  for (const t of timers) clearTimeout(t);
  await server.close();
});
beforeEach(() => {
  apiRequests = 0;
  stallsClosed = 0;
});

/** A head and the start of a JSON body, then nothing. */
function stall(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/json" });
  res.write('["de');
  res.on("close", () => stallsClosed++);
}

function client(retried: BeforeRetryContext[], extra: Partial<ConstructorParameters<typeof Client>[0]> = {}): Client {
  return new Client({
    gatewayURL: server.url,
    auth: new TokenAuth({ source: new StaticTokenSource("subject"), tokenURL: `${server.url}/oauth/token` }),
    bodyIdleTimeoutMs: 200,
    retries: { limit: 5, baseDelayMs: 1, maxDelayMs: 5 },
    hooks: { beforeRetry: [(ctx) => void retried.push(ctx)] },
    ...extra,
  });
}

describe("a body that stalls after its head", () => {
  it("fails the attempt after bodyIdleTimeoutMs and retries an idempotent call within its deadline", async () => {
    plan = (n, _req, res) => (n <= 2 ? stall(res) : json(res, 200, ["dev"]));
    const retried: BeforeRetryContext[] = [];
    expect(await client(retried).getNamespaces({ timeoutMs: 5_000 })).toEqual(["dev"]);
    expect(apiRequests).toBe(3);
    expect(retried.map((r) => [r.error.code, (r.error as TimeoutError).timeoutMs])).toEqual([
      ["ERR_TIMEOUT", 200],
      ["ERR_TIMEOUT", 200],
    ]);
    // Each stalled attempt's connection was dropped, not left waiting.
    expect(stallsClosed).toBe(2);
  });

  it("does not resend a POST whose answer stalled (the server may have acted on it)", async () => {
    plan = (_n, _req, res) => stall(res);
    const retried: BeforeRetryContext[] = [];
    const error = await client(retried).deploy({ service: "hello", image: "img" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).timeoutMs).toBe(200);
    expect(apiRequests).toBe(1);
    expect(retried).toHaveLength(0);
  });

  it("ends at the call's deadline when every attempt stalls, after retrying inside it", async () => {
    plan = (_n, _req, res) => stall(res);
    const error = await client([]).getNamespaces({ timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).timeoutMs).toBe(1_000);
    expect(apiRequests).toBeGreaterThanOrEqual(2);
  });

  it("lets a slow but steady body through: the timeout is per pause, not per body", async () => {
    plan = (_n, _req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const parts = ['["a"', ',"b"', ',"c"', ',"d"', ',"e"]'];
      const next = (): void => {
        const part = parts.shift()!;
        if (parts.length === 0) return void res.end(part);
        res.write(part);
        const t = setTimeout(next, 120);
        timers.add(t);
      };
      next();
    };
    expect(await client([]).getNamespaces()).toEqual(["a", "b", "c", "d", "e"]);
    expect(apiRequests).toBe(1);
  });

  it("does not apply to a followed log stream, which may idle", async () => {
    const line = (text: string): string => `${JSON.stringify({ name: "hello", namespace: "dev", instance: "i", timestamp: "2026-01-01T00:00:00Z", text })}\n`;
    plan = (_n, _req, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.write(line("first"));
      const t = setTimeout(() => res.write(line("after a pause")), 500);
      timers.add(t);
    };
    const got: string[] = [];
    for await (const msg of client([]).getLogs({ name: "hello", follow: true })) {
      got.push(msg.text);
      if (got.length === 2) break;
    }
    expect(got).toEqual(["first", "after a pause"]);
  });

  it("takes a timeout beyond a Node timer's range (24.8 days) as none, not as 1 ms", async () => {
    plan = (_n, _req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write("[");
      const t = setTimeout(() => res.end('"dev"]'), 50);
      timers.add(t);
    };
    const retried: BeforeRetryContext[] = [];
    const c = client(retried, { bodyIdleTimeoutMs: 3e9, timeoutMs: 3e9, attemptTimeoutMs: 3e9 });
    expect(await c.getNamespaces()).toEqual(["dev"]);
    expect(await c.getNamespaces({ timeoutMs: 2 ** 31 })).toEqual(["dev"]);
    expect(retried).toHaveLength(0);
  });

  it("refuses an idle timeout that is not a positive number of milliseconds", () => {
    for (const bodyIdleTimeoutMs of [0, -1, Infinity, Number.NaN]) expect(() => client([], { bodyIdleTimeoutMs })).toThrow(/bodyIdleTimeoutMs/);
  });
});
