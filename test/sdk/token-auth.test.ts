import type { ServerResponse } from "node:http";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { Client, StaticTokenSource, TimeoutError, TokenAuth, TokenSourceError, UnexpectedStatusError, type TokenSource } from "@node-ts-iam/sdk";
import { json, startServer, type SeenRequest, type TestServer } from "./helpers.js";

/** Token endpoint whose answers the test scripts one by one; unscripted requests get a fresh token. */
let server: TestServer;
let script: Array<(req: SeenRequest, res: ServerResponse) => unknown> = [];
let exchanges = 0;
let tokenURL: string;
let now = 1_000_000;
const clock = (): number => now;

beforeAll(async () => {
  server = await startServer(async (req, res) => {
    if (req.url.pathname !== "/oauth/token") return json(res, 200, { ok: true, auth: req.headers.authorization ?? null });
    exchanges++;
    const step = script.shift();
    if (step) return step(req, res);
    json(res, 200, { access_token: `tok-${exchanges}`, token_type: "Bearer", expires_in: 1000 });
  });
  tokenURL = `${server.url}/oauth/token`;
});
afterAll(() => server.close());
beforeEach(() => {
  script = [];
  exchanges = 0;
  now = 1_000_000;
});

function deferred(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((r) => (release = r));
  return { promise, release };
}

function auth(options: Partial<ConstructorParameters<typeof TokenAuth>[0]> = {}): TokenAuth {
  return new TokenAuth({ source: new StaticTokenSource("subject"), tokenURL, clock, minBackoffMs: 0, maxBackoffMs: 0, ...options });
}

async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  return done;
}

describe("TokenAuth cache and lifecycle", () => {
  it("caches the access token", async () => {
    const a = auth();
    expect(await a.token()).toBe("tok-1");
    expect(await a.token()).toBe("tok-1");
    expect((await a.authorize()).authorization()).toBe("Bearer tok-1");
    expect(exchanges).toBe(1);
    expect(a.stats).toEqual({ fetches: 1, failures: 0 });
  });

  it("refreshes in the background inside the soft window while serving the valid token", async () => {
    const a = auth({ refreshWindowMs: 300_000, expiryMarginMs: 10_000 });
    expect(await a.token()).toBe("tok-1");
    const gate = deferred();
    script.push(async (_req, res) => {
      await gate.promise;
      json(res, 200, { access_token: "tok-2", token_type: "Bearer", expires_in: 1000 });
    });
    now += 750_000; // 250 s left: inside the 300 s soft window, outside the 10 s hard margin
    expect(await a.token()).toBe("tok-1");
    for (let i = 0; i < 10; i++) expect(await a.token()).toBe("tok-1");
    await vi.waitFor(() => expect(exchanges).toBe(2));
    expect(a.stats.fetches).toBe(2);
    gate.release();
    await vi.waitFor(async () => expect(await a.token()).toBe("tok-2"));
    expect(exchanges).toBe(2);
  });

  it("blocks callers inside the hard margin", async () => {
    const a = auth({ refreshWindowMs: 300_000, expiryMarginMs: 10_000 });
    await a.token();
    const gate = deferred();
    script.push(async (_req, res) => {
      await gate.promise;
      json(res, 200, { access_token: "tok-2", token_type: "Bearer", expires_in: 1000 });
    });
    now += 995_000; // 5 s left
    const pending = a.token();
    expect(await settled(pending)).toBe(false);
    gate.release();
    expect(await pending).toBe("tok-2");
  });

  it("with both windows 0 uses the token until expiry, then blocks", async () => {
    const a = auth({ refreshWindowMs: 0, expiryMarginMs: 0 });
    await a.token();
    now += 999_999;
    expect(await a.token()).toBe("tok-1");
    expect(exchanges).toBe(1);
    now += 1;
    expect(await a.token()).toBe("tok-2");
  });

  it("exchanges again after 24 h (or maxLifetimeMs) even when the server said expires_in 1e10", async () => {
    script.push((_req, res) => json(res, 200, { access_token: "forever", token_type: "Bearer", expires_in: 1e10 }));
    const a = auth({ refreshWindowMs: 0, expiryMarginMs: 0 });
    expect(await a.token()).toBe("forever");
    now += 86_400_000 - 1;
    expect(await a.token()).toBe("forever");
    now += 1;
    expect(await a.token()).toBe("tok-2");
    script.push((_req, res) => json(res, 200, { access_token: "forever", token_type: "Bearer", expires_in: 1e10 }));
    const short = auth({ refreshWindowMs: 0, expiryMarginMs: 0, maxLifetimeMs: 60_000 });
    expect(await short.token()).toBe("forever");
    now += 60_000;
    expect(await short.token()).toBe("tok-4");
    expect(() => auth({ maxLifetimeMs: 0 })).toThrow(/maxLifetimeMs/);
  });

  it("caps the soft window at half the lifetime so short tokens are not refreshed on every call", async () => {
    script.push((_req, res) => json(res, 200, { access_token: "short", token_type: "Bearer", expires_in: 20 }));
    const a = auth({ refreshWindowMs: 300_000, expiryMarginMs: 10_000 });
    expect(await a.token()).toBe("short");
    now += 9_000;
    expect(await a.token()).toBe("short");
    expect(exchanges).toBe(1);
    now += 2_000; // past half-life: background refresh
    expect(await a.token()).toBe("short");
    await vi.waitFor(() => expect(exchanges).toBe(2));
  });

  it("shares one in-flight exchange between all callers and all clients", async () => {
    const gate = deferred();
    script.push(async (_req, res) => {
      await gate.promise;
      json(res, 200, { access_token: "shared", token_type: "Bearer", expires_in: 1000 });
    });
    const a = auth();
    const c1 = new Client({ gatewayURL: server.url, auth: a });
    const c2 = new Client({ gatewayURL: server.url, auth: a });
    const calls = Array.from({ length: 200 }, (_, i) => ((i % 2 ? c1 : c2).getInfo().catch(() => undefined), a.token()));
    await vi.waitFor(() => expect(exchanges).toBe(1));
    gate.release();
    expect(new Set(await Promise.all(calls))).toEqual(new Set(["shared"]));
    expect(exchanges).toBe(1);
  });

  it("never caches a failure", async () => {
    script.push((_req, res) => json(res, 500, { error: "server_error" }));
    const a = auth();
    await expect(a.token()).rejects.toBeInstanceOf(UnexpectedStatusError);
    expect(await a.token()).toBe("tok-2");
    expect(a.stats).toEqual({ fetches: 2, failures: 1 });
  });

  it("backs off after a failed background refresh, honouring Retry-After, while serving the valid token", async () => {
    const a = auth({ refreshWindowMs: 300_000, expiryMarginMs: 10_000, minBackoffMs: 0, maxBackoffMs: 60_000 });
    await a.token();
    script.push((_req, res) => json(res, 503, { error: "temporarily_unavailable" }, { "retry-after": "30" }));
    now += 750_000;
    expect(await a.token()).toBe("tok-1");
    await vi.waitFor(() => expect(a.stats.failures).toBe(1));
    now += 20_000; // inside the 30 s Retry-After
    for (let i = 0; i < 5; i++) expect(await a.token()).toBe("tok-1");
    expect(exchanges).toBe(2);
    now += 11_000; // past it
    expect(await a.token()).toBe("tok-1");
    await vi.waitFor(async () => expect(await a.token()).toBe("tok-3"));
    expect(exchanges).toBe(3);
  });

  it("makes a blocked caller wait out the backoff instead of hammering", async () => {
    script.push((_req, res) => json(res, 503, {}, { "retry-after": "1" }));
    const a = new TokenAuth({ source: new StaticTokenSource("s"), tokenURL, minBackoffMs: 0, maxBackoffMs: 1_000 });
    await expect(a.token()).rejects.toBeInstanceOf(UnexpectedStatusError);
    const attempt = a.token();
    expect(await settled(attempt)).toBe(false);
    expect(exchanges).toBe(1);
    expect(await attempt).toBe("tok-2");
  });

  it("cannot produce an unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const a = auth({ refreshWindowMs: 300_000, expiryMarginMs: 10_000 });
      await a.token();
      for (let i = 0; i < 3; i++) script.push((_req, res) => res.destroy());
      now += 750_000;
      await a.token(); // background refresh that fails
      await vi.waitFor(() => expect(a.stats.failures).toBe(1));
      now += 245_000; // hard margin: callers block; abandon them
      const controller = new AbortController();
      const abandoned = a.token(controller.signal);
      controller.abort(new Error("caller gave up"));
      await expect(abandoned).rejects.toThrow("caller gave up");
      await vi.waitFor(() => expect(a.stats.failures).toBe(2));
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("lets a caller abort its wait without cancelling the shared exchange", async () => {
    const gate = deferred();
    script.push(async (_req, res) => {
      await gate.promise;
      json(res, 200, { access_token: "late", token_type: "Bearer", expires_in: 1000 });
    });
    const a = auth();
    const controller = new AbortController();
    const waiting = a.token(controller.signal);
    const other = a.token();
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    gate.release();
    expect(await other).toBe("late");
    expect(exchanges).toBe(1);
  });

  it("invalidate(issuedBefore) discards only a token issued before that time", async () => {
    const a = auth();
    await a.token(); // issued at `now`
    a.invalidate(now);
    expect(await a.token()).toBe("tok-1");
    a.invalidate(now + 1);
    expect(await a.token()).toBe("tok-2");
  });

  it("times out a hanging exchange", async () => {
    script.push(() => undefined);
    const a = auth({ exchangeTimeoutMs: 50 });
    await expect(a.token()).rejects.toBeInstanceOf(TimeoutError);
  });

  it("wraps a failing custom source without its message", async () => {
    const source: TokenSource = { token: () => Promise.reject(new Error("could not parse secret-looking-value")) };
    const error = await new TokenAuth({ source, tokenURL }).token().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenSourceError);
    expect(JSON.stringify(error) + String((error as Error).cause)).not.toContain("secret-looking-value");
  });
});
