import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { IssuerKeyCache, IssuerKeysError } from "../../sandbox/src/iam/issuer-keys.js";

let server: Server;
let base: string;
let requests = 0;
let failing = false;
let jwks: { keys: unknown[] };

beforeAll(async () => {
  const { publicKey } = await generateKeyPair("ES256", { extractable: true });
  jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" }] };
  server = createServer((req, res) => {
    requests++;
    if (failing) {
      res.writeHead(500).end();
      return;
    }
    const body = req.url === "/.well-known/openid-configuration" ? { issuer: base, jwks_uri: `${base}/jwks` } : jwks;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
afterEach(() => {
  vi.useRealTimers();
  failing = false;
  requests = 0;
});

describe("issuer key discovery", () => {
  it("caches the keys, keeps the last good ones when a refresh fails, and does not retry on every call", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2026-01-01T00:00:00Z") });
    const cache = new IssuerKeyCache();
    const first = await cache.keysFor(base, "k1");
    expect(requests).toBe(2); // discovery + JWKS
    expect(await cache.keysFor(base, "k1")).toBe(first);
    expect(requests).toBe(2);

    vi.setSystemTime(new Date("2026-01-01T00:06:00Z")); // past the 5 min TTL
    failing = true;
    expect(await cache.keysFor(base, "k1")).toBe(first);
    expect(requests).toBe(3);
    expect(await cache.keysFor(base, "k1")).toBe(first);
    expect(requests).toBe(3); // a failed refresh is retried at most every 10 s

    vi.setSystemTime(new Date("2026-01-01T00:06:11Z"));
    failing = false;
    const fresh = await cache.keysFor(base, "k1");
    expect(fresh).not.toBe(first);
    expect(requests).toBe(5);
  });

  it("without keys in the cache, a failure is an IssuerKeysError naming the document", async () => {
    failing = true;
    const err = await new IssuerKeyCache().keysFor(base, undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IssuerKeysError);
    expect((err as Error).message).toMatch(/discovery document .* answered HTTP 500/);
  });
});
