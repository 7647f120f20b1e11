import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { Client, NetworkError, StaticTokenSource, TimeoutError, TokenAuth, UnexpectedStatusError, type BeforeRetryContext } from "@node-ts-iam/sdk";
import { json, startFakeGateway, startServer, type FakeGateway, type SeenRequest, type TestServer } from "./helpers.js";

type Fault = "reset" | "slow" | "429" | "503" | "502" | "504" | "408" | "500" | "ok";
/** Faults to apply, by the attempt number the client puts in `x-attempt`. */
let plan: (req: SeenRequest, attempt: number) => Fault = () => "ok";
let gw: FakeGateway;
const slowTimers = new Set<NodeJS.Timeout>();
/** Slow answers actually sent (they arrive long after the client gave up). */
let slowAnswered = 0;

function apply(fault: Fault, req: SeenRequest, res: ServerResponse): void {
  switch (fault) {
    case "reset":
      res.socket?.destroy();
      return;
    case "slow": {
      const t = setTimeout(() => {
        slowAnswered++;
        if (!res.destroyed) json(res, 200, req.method === "GET" ? [] : {});
      }, 1_200);
      slowTimers.add(t);
      return;
    }
    case "ok":
      if (req.url.pathname === "/system/namespaces") return json(res, 200, ["dev"]);
      res.writeHead(202).end();
      return;
    default: {
      const status = Number(fault);
      res.writeHead(status, status === 429 || status === 503 ? { "retry-after": "0" } : {}).end(`fault ${status}`);
    }
  }
}

beforeAll(async () => {
  gw = await startFakeGateway({ api: (req, res) => apply(plan(req, Number(req.headers["x-attempt"] ?? "1")), req, res) });
});
afterAll(async () => {
  for (const t of slowTimers) clearTimeout(t);
  await gw.close();
});

let retries: BeforeRetryContext[] = [];
let client: Client;
beforeEach(() => {
  retries = [];
  plan = () => "ok";
  client = makeClient(gw.url);
});

function makeClient(url: string, extra: Partial<ConstructorParameters<typeof Client>[0]> = {}): Client {
  return new Client({
    gatewayURL: url,
    auth: new TokenAuth({ source: new StaticTokenSource("s"), tokenURL: `${gw.url}/oauth/token` }),
    retries: { limit: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1_500 },
    attemptTimeoutMs: 400,
    hooks: {
      beforeRequest: [(ctx) => void (ctx.headers["x-attempt"] = String(ctx.attempt))],
      beforeRetry: [(ctx) => void retries.push(ctx)],
    },
    ...extra,
  });
}

const count = (pathname: string, method?: string): number => gw.seen.filter((r) => r.url.pathname === pathname && (!method || r.method === method)).length;

describe("idempotent calls survive faults", () => {
  it.each<[string, Fault[]]>([
    ["socket resets", ["reset", "reset"]],
    ["slow responses (attempt timeout)", ["slow", "slow"]],
    ["429 and 503 with Retry-After", ["429", "503"]],
    ["502, 504, 408", ["502", "504", "408"]],
  ])("GET succeeds after %s", async (_label, faults) => {
    plan = (_req, attempt) => faults[attempt - 1] ?? "ok";
    const before = count("/system/namespaces");
    expect(await client.getNamespaces()).toEqual(["dev"]);
    expect(count("/system/namespaces") - before).toBe(faults.length + 1);
    expect(retries).toHaveLength(faults.length);
    expect(retries.every((r) => r.error.code === "ERR_NETWORK" || r.error.code === "ERR_TIMEOUT" || r.error.code === "ERR_UNEXPECTED_STATUS")).toBe(true);
  });

  it("PUT and DELETE are retried too", async () => {
    plan = (_req, attempt) => (attempt === 1 ? "reset" : "ok");
    await client.update({ service: "hello", image: "img" });
    await client.deleteFunction("hello", "dev");
    expect(retries.map((r) => r.method)).toEqual(["PUT", "DELETE"]);
  });

  it("honours Retry-After in seconds", async () => {
    plan = (_req, attempt) => (attempt === 1 ? "429" : "ok");
    const slowGw = await startServer((req, res) => {
      if (req.url.pathname === "/system/namespaces" && req.headers["x-attempt"] === "1") return void res.writeHead(429, { "retry-after": "1" }).end();
      json(res, 200, ["dev"]);
    });
    try {
      const c = new Client({ gatewayURL: slowGw.url, retries: { limit: 1, baseDelayMs: 1, maxDelayMs: 1 }, hooks: { beforeRequest: [(ctx) => void (ctx.headers["x-attempt"] = String(ctx.attempt))], beforeRetry: [(ctx) => void retries.push(ctx)] } });
      expect(await c.getNamespaces()).toEqual(["dev"]);
      expect(retries[0]!.delayMs).toBe(1000);
    } finally {
      await slowGw.close();
    }
  });

  it("does not wait for a Retry-After longer than the policy allows", async () => {
    const far = await startServer((_req, res) => void res.writeHead(503, { "retry-after": "3600" }).end("busy"));
    try {
      const c = new Client({ gatewayURL: far.url, retries: { limit: 3, maxRetryAfterMs: 1000 } });
      const error = await c.getNamespaces().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnexpectedStatusError);
      expect(error).toMatchObject({ status: 503, retryAfterMs: 3_600_000 });
      expect(far.seen).toHaveLength(1);
    } finally {
      await far.close();
    }
  });

  it("does not retry a 500", async () => {
    plan = () => "500";
    const before = count("/system/namespaces");
    await expect(client.getNamespaces()).rejects.toBeInstanceOf(UnexpectedStatusError);
    expect(count("/system/namespaces") - before).toBe(1);
  });

  it("gives up after the retry limit with the last error", async () => {
    plan = () => "reset";
    const error = await client.getNamespaces().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).reachedServer).toBe(true);
    expect(retries).toHaveLength(3);
  });

  it("retries a token exchange that failed with a 503", async () => {
    let tokenCalls = 0;
    const flaky = await startServer((req, res) => {
      if (req.url.pathname === "/oauth/token") {
        tokenCalls++;
        if (tokenCalls === 1) return void res.writeHead(503, { "retry-after": "0" }).end();
        return json(res, 200, { access_token: "t", token_type: "Bearer", expires_in: 60 });
      }
      json(res, 200, ["dev"]);
    });
    try {
      const c = new Client({
        gatewayURL: flaky.url,
        auth: new TokenAuth({ source: new StaticTokenSource("s"), tokenURL: `${flaky.url}/oauth/token`, minBackoffMs: 0, maxBackoffMs: 0 }),
        retries: { limit: 2, baseDelayMs: 1, maxDelayMs: 1 },
      });
      expect(await c.getNamespaces()).toEqual(["dev"]);
      expect(tokenCalls).toBe(2);
    } finally {
      await flaky.close();
    }
  });
});

describe("POST is never duplicated", () => {
  it.each<[string, Fault, string]>([
    ["a reset after the server read it", "reset", "ERR_NETWORK"],
    ["a 503", "503", "ERR_UNEXPECTED_STATUS"],
    ["a 429", "429", "ERR_UNEXPECTED_STATUS"],
    ["a slow answer past the attempt timeout", "slow", "ERR_TIMEOUT"],
  ])("deploy is sent once despite %s", async (_label, fault, code) => {
    plan = (req) => (req.method === "POST" ? fault : "ok");
    const slowBefore = slowAnswered;
    const service = `svc-${fault}`;
    const error = await client.deploy({ service, image: "img" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code });
    if (fault === "slow") await vi.waitFor(() => expect(slowAnswered).toBeGreaterThan(slowBefore), { timeout: 5_000, interval: 50 });
    expect(gw.seen.filter((r) => r.method === "POST" && r.body.includes(service))).toHaveLength(1);
    expect(retries).toHaveLength(0);
  });

  it("is retried when the connection was refused (it never reached the server)", async () => {
    const placeholder = await startServer(() => undefined);
    const port = placeholder.port;
    await placeholder.close();
    let late: TestServer | undefined;
    const c = makeClient(`http://127.0.0.1:${port}`, {
      hooks: {
        beforeRetry: [
          async (ctx) => {
            retries.push(ctx);
            late ??= await startServer((_req, res) => void res.writeHead(202).end(), port);
          },
        ],
      },
    });
    try {
      expect(await c.deploy({ service: "refused", image: "img" })).toBe(202);
      expect(retries).toHaveLength(1);
      expect(retries[0]!.error).toBeInstanceOf(NetworkError);
      expect((retries[0]!.error as NetworkError).reachedServer).toBe(false);
      expect(late!.seen).toHaveLength(1);
    } finally {
      await late?.close();
    }
  });

  it("under mixed faults: every GET succeeds and every POST reaches the server at most once", async () => {
    const faults: Fault[] = ["reset", "503", "429", "502", "ok", "ok"];
    let posts = 0;
    let gets = 0;
    plan = (req, attempt) => {
      if (req.method === "POST") return faults[posts++ % faults.length]!;
      return attempt <= 2 ? faults[gets++ % faults.length]! : "ok";
    };
    // No slow faults here: a generous attempt timeout keeps scheduling noise out of the outcome counts.
    client = makeClient(gw.url, { attemptTimeoutMs: 5_000 });
    const getCalls = Array.from({ length: 60 }, () => client.getNamespaces());
    const postCalls = Array.from({ length: 60 }, (_, i) => client.deploy({ service: `mixed-${i}`, image: "img" }).then(() => "ok", (e: { code: string }) => e.code));
    expect(new Set((await Promise.all(getCalls)).map((r) => JSON.stringify(r)))).toEqual(new Set([JSON.stringify(["dev"])]));
    const outcomes = await Promise.all(postCalls);
    for (let i = 0; i < 60; i++) {
      const seen = gw.seen.filter((r) => r.method === "POST" && r.url.pathname === "/system/functions" && (JSON.parse(r.body) as { service: string }).service === `mixed-${i}`).length;
      expect(seen).toBe(1);
    }
    // Two in six POSTs were answered normally; the others failed once and were not resent.
    expect(outcomes.filter((o) => o === "ok")).toHaveLength(20);
    expect(outcomes.filter((o) => o === "ERR_NETWORK")).toHaveLength(10);
  });
});

describe("deadlines", () => {
  it("the call deadline covers retries", async () => {
    plan = () => "slow";
    const c = makeClient(gw.url, { attemptTimeoutMs: undefined, retries: 5 });
    const error = await c.getNamespaces({ timeoutMs: 60 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).timeoutMs).toBe(60);
  });
});
