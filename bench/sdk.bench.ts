/**
 * SDK benchmarks (`npm run bench -- sdk`):
 * 1. 1,000 concurrent first calls on a cold TokenAuth cause exactly one exchange;
 * 2. an authenticated call with a cached token vs the same call without auth (interleaved rounds);
 * 3. a token refresh under steady load: exchanges per lifetime and p99 latency near the refresh vs elsewhere.
 * The fake gateway runs in a worker thread so the client's event loop is measured alone.
 */
import { Worker } from "node:worker_threads";
import { Client, StaticTokenSource, TokenAuth, type TokenSource } from "@node-ts-iam/sdk";
import type { BenchModule, BenchSection } from "./report.js";

const SERVER = `
const { parentPort } = require("node:worker_threads");
const http = require("node:http");
let exchanges = 0;
let n = 0;
const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  if (url.pathname === "/oauth/token") {
    req.resume();
    req.on("end", () => {
      exchanges++;
      const body = JSON.stringify({ access_token: "bench-token-" + ++n, token_type: "Bearer", expires_in: Number(url.searchParams.get("ttl") || 3600) });
      setTimeout(() => res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body), Number(url.searchParams.get("delay") || 0));
    });
    return;
  }
  if (url.pathname === "/_stats") return res.end(JSON.stringify({ exchanges }));
  req.resume();
  res.writeHead(200, { "content-type": "application/json", "content-length": "7" });
  res.end('["dev"]');
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
parentPort.on("message", (m) => { if (m === "stop") server.close(() => process.exit(0)); server.closeAllConnections(); });
`;

async function startServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const worker = new Worker(SERVER, { eval: true });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      worker.postMessage("stop");
      await new Promise((r) => worker.once("exit", r));
    },
  };
}

async function exchangesSoFar(url: string): Promise<number> {
  const res = await fetch(`${url}/_stats`);
  return ((await res.json()) as { exchanges: number }).exchanges;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fmt = (v: number, digits = 1): string => v.toFixed(digits);

async function coldStart(url: string): Promise<BenchSection> {
  const before = await exchangesSoFar(url);
  const auth = new TokenAuth({ source: new StaticTokenSource("subject"), tokenURL: `${url}/oauth/token?delay=5` });
  const client = new Client({ gatewayURL: url, auth });
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 1000 }, () => client.getNamespaces()));
  const ms = performance.now() - t0;
  const exchanges = (await exchangesSoFar(url)) - before;
  return {
    title: "SDK: 1,000 concurrent first calls",
    columns: ["calls", "token exchanges (server count)", "TokenAuth fetches", "wall time (ms)", "target"],
    rows: [[1000, exchanges, auth.stats.fetches, fmt(ms), "exactly 1 exchange"]],
  };
}

async function authOverhead(url: string, log: (line: string) => void): Promise<BenchSection> {
  const authed = new Client({ gatewayURL: url, auth: new TokenAuth({ source: new StaticTokenSource("subject"), tokenURL: `${url}/oauth/token` }) });
  const plain = new Client({ gatewayURL: url });
  const SEQ = 400;
  const CONC = 3600;
  const INFLIGHT = 32;
  const round = async (client: Client): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < SEQ; i++) await client.getNamespaces();
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next++ < CONC) await client.getNamespaces();
    };
    await Promise.all(Array.from({ length: INFLIGHT }, lane));
    return (performance.now() - t0) / (SEQ + CONC);
  };
  await round(authed);
  await round(plain);
  const a: number[] = [];
  const p: number[] = [];
  const ratios: number[] = [];
  const ROUNDS = 30;
  for (let r = 0; r < ROUNDS; r++) {
    // Paired, order-alternating rounds: drift and neighbours' load hit both sides of a pair alike.
    let ta: number;
    let tp: number;
    if (r % 2 === 0) {
      ta = await round(authed);
      tp = await round(plain);
    } else {
      tp = await round(plain);
      ta = await round(authed);
    }
    a.push(ta);
    p.push(tp);
    ratios.push(ta / tp);
    if ((r + 1) % 6 === 0) log(`sdk: auth overhead round ${r + 1}/${ROUNDS}`);
  }
  const sortedRatios = [...ratios].sort((x, y) => x - y);
  const ratio = median(ratios);
  // The client-side part in isolation (noise-free): what a cached-token call adds before sending.
  const tokenAuth = authed.auth as TokenAuth;
  const LOOKUPS = 1_000_000;
  const l0 = performance.now();
  for (let i = 0; i < LOOKUPS; i++) if (!tokenAuth.peek()?.authorization()) throw new Error("no cached token");
  const lookupNs = ((performance.now() - l0) / LOOKUPS) * 1e6;
  return {
    title: "SDK: authenticated call (cached token) vs the same call without auth",
    columns: ["client", "median µs/call", "calls/s", "ratio (median of paired rounds)", "middle half of round ratios", "target"],
    rows: [
      ["no auth", fmt(median(p) * 1000), fmt(1000 / median(p), 0), "1.000", "", ""],
      [
        "TokenAuth, cached token",
        fmt(median(a) * 1000),
        fmt(1000 / median(a), 0),
        fmt(ratio, 3),
        `${fmt(percentile(sortedRatios, 25), 3)} – ${fmt(percentile(sortedRatios, 75), 3)}`,
        "≤ 1.05×",
      ],
    ],
    notes: [
      `${ROUNDS} paired rounds (order alternating), each ${SEQ} sequential + ${CONC} calls at ${INFLIGHT} in flight per client, GET /system/namespaces on a keep-alive local server in a worker thread. The spread of single rounds is machine noise; the credential lookup itself costs ${fmt(lookupNs, 0)} ns per call (${fmt((lookupNs / 1000 / (median(p) * 1000)) * 100, 2)} % of a call), the rest of the difference is the extra header on the wire.`,
    ],
  };
}

async function refreshUnderLoad(url: string, log: (line: string) => void): Promise<BenchSection> {
  const LIFETIME_S = 4;
  const EXCHANGE_DELAY_MS = 25;
  const DURATION_MS = 16_500;
  const WINDOW_MS = 250;
  const refreshStarts: number[] = [];
  const source: TokenSource = {
    token: () => {
      refreshStarts.push(performance.now());
      return Promise.resolve("subject");
    },
  };
  const SOFT_MS = 1_000;
  const auth = new TokenAuth({ source, tokenURL: `${url}/oauth/token?ttl=${LIFETIME_S}&delay=${EXCHANGE_DELAY_MS}`, refreshWindowMs: SOFT_MS, expiryMarginMs: 200 });
  const client = new Client({ gatewayURL: url, auth });
  const before = await exchangesSoFar(url);
  await client.getNamespaces();
  const samples: Array<[number, number]> = [];
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    while (performance.now() - t0 < DURATION_MS) {
      const s = performance.now();
      await client.getNamespaces();
      samples.push([s, performance.now() - s]);
    }
  };
  const progress = setInterval(() => log(`sdk: refresh under load ${fmt((performance.now() - t0) / 1000, 0)} s`), 4000);
  await Promise.all(Array.from({ length: 8 }, lane));
  clearInterval(progress);
  const exchanges = (await exchangesSoFar(url)) - before;
  const elapsed = performance.now() - t0;
  const lifetimes = elapsed / (LIFETIME_S * 1000);
  // A token is replaced when it enters the soft window, so one refresh cycle is lifetime − window.
  const cycles = elapsed / (LIFETIME_S * 1000 - SOFT_MS);
  const refreshes = refreshStarts.slice(1);
  const near: number[] = [];
  const elsewhere: number[] = [];
  for (const [start, ms] of samples) {
    (refreshes.some((r) => start >= r - WINDOW_MS && start <= r + WINDOW_MS) ? near : elsewhere).push(ms);
  }
  near.sort((x, y) => x - y);
  elsewhere.sort((x, y) => x - y);
  const ratio = percentile(near, 99) / percentile(elsewhere, 99);
  return {
    title: "SDK: token refresh under steady load",
    columns: ["calls", "token lifetime", "refresh cycles elapsed", "exchanges (server count)", "exchanges per token (after the first)", "p99 near refresh (ms)", "p99 elsewhere (ms)", "ratio", "target"],
    rows: [
      [
        samples.length,
        `${LIFETIME_S} s`,
        fmt(cycles, 2),
        exchanges,
        fmt((exchanges - 1) / Math.floor(cycles), 2),
        fmt(percentile(near, 99), 3),
        fmt(percentile(elsewhere, 99), 3),
        fmt(ratio, 2),
        "1 per token lifetime; ≤ 1.2×",
      ],
    ],
    notes: [
      `8 concurrent lanes for ${DURATION_MS / 1000} s; the exchange takes ${EXCHANGE_DELAY_MS} ms server-side; soft window 1 s, hard margin 0.2 s; "near" = calls started within ±${WINDOW_MS} ms of a refresh start (${near.length} calls), "elsewhere" = the other ${elsewhere.length}. ${fmt(lifetimes, 2)} token lifetimes elapsed; each token is replaced once, ${SOFT_MS / 1000} s before its expiry, by one background exchange that no caller waits for.`,
    ],
  };
}

const bench: BenchModule = async (log) => {
  const server = await startServer();
  try {
    log("sdk: cold start");
    const cold = await coldStart(server.url);
    log("sdk: auth overhead");
    const overhead = await authOverhead(server.url, log);
    log("sdk: refresh under load");
    const refresh = await refreshUnderLoad(server.url, log);
    return [cold, overhead, refresh];
  } finally {
    await server.stop();
  }
};

export default bench;
