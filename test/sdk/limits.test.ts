/**
 * Bounded reads: no peer can make the SDK buffer more than a limit. Token responses, error bodies,
 * API JSON and log lines each have one; going over it is an InvalidResponseError with the code
 * ERR_RESPONSE_TOO_LARGE, and the connection is dropped (the server sees it close long before it
 * has written its 64 MiB). memory.test.ts measures what this means for RSS.
 */
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  Client,
  ClientCredentialsTokenSource,
  exchangeToken,
  InvalidArgumentError,
  InvalidResponseError,
  OAuthError,
  StaticTokenSource,
  TokenAuth,
  UnexpectedStatusError,
  type LogMessage,
} from "@node-ts-iam/sdk";
import { fromGatewayError } from "@node-ts-iam/sdk/kit";
import { json, startServer, streamBody, type SeenRequest, type StreamOutcome, type TestServer } from "./helpers.js";

const MiB = 1024 * 1024;
const HUGE = 64 * MiB;
let server: TestServer;
let route: (req: SeenRequest, res: ServerResponse) => void | Promise<unknown>;
/** Outcomes of the streamed answers, in order. */
let streams: Array<Promise<StreamOutcome>> = [];

beforeAll(async () => {
  server = await startServer((req, res) => {
    if (req.url.pathname === "/oauth/token" && !req.url.searchParams.has("huge")) {
      return json(res, 200, { access_token: "access-token", token_type: "Bearer", expires_in: 3600 });
    }
    return route(req, res);
  });
});
afterAll(() => server.close());
beforeEach(() => {
  streams = [];
});

/** Answers with a streamed body of `total` bytes and records how it ended. */
function streamed(total: number, options: Parameters<typeof streamBody>[2] = {}): (req: SeenRequest, res: ServerResponse) => void {
  return (_req, res) => void streams.push(streamBody(res, total, options));
}

function client(extra: Partial<ConstructorParameters<typeof Client>[0]> = {}): Client {
  return new Client({ gatewayURL: server.url, auth: new TokenAuth({ source: new StaticTokenSource("subject"), tokenURL: `${server.url}/oauth/token` }), retries: 0, ...extra });
}

/** The one streamed answer of the test, after the client is done with it. */
async function dropped(): Promise<StreamOutcome> {
  expect(streams).toHaveLength(1);
  const outcome = await streams[0]!;
  expect(outcome.finished).toBe(false);
  return outcome;
}

describe("token responses (64 KiB)", () => {
  it("a 64 MiB token response fails with ERR_RESPONSE_TOO_LARGE and its connection is dropped", async () => {
    route = streamed(HUGE, { prefix: '{"access_token":"', fill: "a" });
    const error = await exchangeToken({ tokenURL: `${server.url}/oauth/token?huge`, subjectToken: "s" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ code: "ERR_RESPONSE_TOO_LARGE", limitBytes: 64 * 1024, status: 200, path: "/oauth/token" });
    expect((await dropped()).written).toBeLessThan(HUGE / 4);
  });

  it("one declared too long by content-length is dropped unread; one of exactly 64 KiB is read", async () => {
    route = streamed(HUGE, { headers: { "content-length": String(HUGE) } });
    await expect(exchangeToken({ tokenURL: `${server.url}/oauth/token?huge`, subjectToken: "s" })).rejects.toMatchObject({ code: "ERR_RESPONSE_TOO_LARGE" });
    await dropped();
    const body = JSON.stringify({ access_token: "t", token_type: "Bearer", expires_in: 60, pad: "" });
    route = (_req, res) => json(res, 200, { access_token: "t", token_type: "Bearer", expires_in: 60, pad: "p".repeat(64 * 1024 - body.length) });
    await expect(exchangeToken({ tokenURL: `${server.url}/oauth/token?huge`, subjectToken: "s" })).resolves.toMatchObject({ accessToken: "t" });
  });

  it("the client-credentials source has the same limit", async () => {
    route = streamed(HUGE);
    const source = new ClientCredentialsTokenSource({ tokenURL: `${server.url}/oauth/token?huge`, clientId: "c", clientSecret: "secret-value" });
    await expect(source.token()).rejects.toMatchObject({ code: "ERR_RESPONSE_TOO_LARGE" });
    await dropped();
  });
});

describe("error bodies (4 KiB, then the connection is dropped)", () => {
  it("a token endpoint's 64 MiB error body yields an error from its first 4 KiB", async () => {
    route = streamed(HUGE, { status: 400, prefix: '{"error":"invalid_request","error_description":"', fill: "d" });
    const error = await exchangeToken({ tokenURL: `${server.url}/oauth/token?huge`, subjectToken: "s" }).catch((e: unknown) => e);
    // The cut JSON no longer parses: the error maps by status, with a cut message.
    expect(error).toBeInstanceOf(UnexpectedStatusError);
    expect((error as UnexpectedStatusError).status).toBe(400);
    expect((error as UnexpectedStatusError).gatewayMessage.length).toBeLessThanOrEqual(513);
    expect((await dropped()).written).toBeLessThan(HUGE / 4);
  });

  it("an OAuth error that fits is still parsed", async () => {
    route = (_req, res) => json(res, 400, { error: "invalid_grant", error_description: "d".repeat(3_000) });
    const error = await exchangeToken({ tokenURL: `${server.url}/oauth/token?huge`, subjectToken: "s" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).errorDescription).toHaveLength(513);
  });

  it("an API call's 64 MiB error body is cut, and a small one keeps the connection alive", async () => {
    route = streamed(HUGE, { status: 500, prefix: "internal error: ", fill: "e" });
    const error = await client().getNamespaces().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnexpectedStatusError);
    expect((error as UnexpectedStatusError).gatewayMessage).toMatch(/^internal error: e+…$/);
    await dropped();
    let connections = 0;
    const count = (): void => void connections++;
    server.server.on("connection", count);
    try {
      route = (_req, res) => void res.writeHead(404).end("not here");
      const c = client();
      for (let i = 0; i < 5; i++) await expect(c.getFunction("gone", "dev")).rejects.toMatchObject({ status: 404 });
      expect(connections).toBeLessThanOrEqual(2);
    } finally {
      server.server.off("connection", count);
    }
  });
});

describe("API JSON (default 8 MiB, per client, per call)", () => {
  it("the default limit stops a 64 MiB list", async () => {
    route = streamed(HUGE, { prefix: "[", fill: " " });
    const error = await client().getNamespaces().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_RESPONSE_TOO_LARGE", limitBytes: 8 * MiB, method: "GET", path: "/system/namespaces", status: 200 });
    expect((await dropped()).written).toBeLessThan(HUGE / 2);
    // The handler kit answers it like any unusable gateway answer.
    expect(fromGatewayError(error).toResponse()).toMatchObject({ status: 502, body: { code: "GATEWAY_UNAVAILABLE" } });
  });

  it("a client's limit, overridden per call either way; a body of exactly the limit is read", async () => {
    const body = JSON.stringify(["dev", "x".repeat(1_000)]);
    route = (_req, res) => void res.writeHead(200, { "content-type": "application/json" }).end(body);
    const small = client({ maxResponseBytes: body.length });
    expect(await small.getNamespaces()).toEqual(["dev", "x".repeat(1_000)]);
    await expect(small.getNamespaces({ maxResponseBytes: body.length - 1 })).rejects.toMatchObject({ code: "ERR_RESPONSE_TOO_LARGE", limitBytes: body.length - 1 });
    const smaller = client({ maxResponseBytes: 100 });
    await expect(smaller.getNamespaces()).rejects.toMatchObject({ code: "ERR_RESPONSE_TOO_LARGE", limitBytes: 100 });
    expect(await smaller.getNamespaces({ maxResponseBytes: 2_000 })).toHaveLength(2);
    expect(await smaller.getNamespaces({ maxResponseBytes: Infinity })).toHaveLength(2);
  });

  it("invoke results have the same limit", async () => {
    route = streamed(HUGE, { fill: "r" });
    const error = await client({ maxResponseBytes: MiB }).invokeFunction("big", "dev", { method: "GET" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_RESPONSE_TOO_LARGE", limitBytes: MiB, path: "/function/big.dev" });
    await dropped();
  });

  it("refuses limits that are not positive whole numbers of bytes", async () => {
    for (const maxResponseBytes of [0, -1, 1.5, Number.NaN]) {
      expect(() => client({ maxResponseBytes })).toThrow(InvalidArgumentError);
      await expect(client().getNamespaces({ maxResponseBytes })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    expect(() => client({ maxLogLineBytes: Infinity })).toThrow(InvalidArgumentError);
  });
});

describe("log lines (default 256 KiB)", () => {
  const line = (i: number): LogMessage => ({ name: "hello", namespace: "dev", instance: "hello-1", timestamp: new Date(1_700_000_000_000 + i).toISOString(), text: `line ${i}` });

  it("a line without end fails with ERR_RESPONSE_TOO_LARGE after the lines before it, and the stream is closed", async () => {
    route = (_req, res) => void streams.push(streamBody(res, HUGE, { prefix: `${JSON.stringify(line(1))}\n${JSON.stringify(line(2))}\n{"text":"`, fill: "z" }));
    const got: string[] = [];
    const error = await (async () => {
      for await (const msg of client().getLogs({ name: "hello", namespace: "dev", follow: true })) got.push(msg.text);
    })().catch((e: unknown) => e);
    expect(got).toEqual(["line 1", "line 2"]);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ code: "ERR_RESPONSE_TOO_LARGE", limitBytes: 256 * 1024, path: "/system/logs" });
    expect((await dropped()).written).toBeLessThan(HUGE / 4);
  });

  it("a client's maxLogLineBytes; a line of exactly the limit is read, split across chunks", async () => {
    const exact = JSON.stringify({ ...line(3), text: "" });
    const text = "y".repeat(1_000 - exact.length);
    const full = JSON.stringify({ ...line(3), text });
    expect(Buffer.byteLength(full)).toBe(1_000);
    route = (_req, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.write(full.slice(0, 500));
      setTimeout(() => res.end(`${full.slice(500)}\n${JSON.stringify({ ...line(4), text: "z".repeat(2_000) })}\n`), 5);
    };
    const got: string[] = [];
    const error = await (async () => {
      for await (const msg of client({ maxLogLineBytes: 1_000 }).getLogs({ name: "hello" })) got.push(msg.text);
    })().catch((e: unknown) => e);
    expect(got).toEqual([text]);
    expect(error).toMatchObject({ code: "ERR_RESPONSE_TOO_LARGE", limitBytes: 1_000 });
  });

  it("splits many lines per chunk and multi-byte characters across chunks", async () => {
    const lines = Array.from({ length: 200 }, (_, i) => ({ ...line(i), text: `zeile ${i} – ünïcödé ✓` }));
    const bytes = Buffer.from(lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    route = (_req, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      // Cut inside a multi-byte character on purpose.
      const cut = bytes.indexOf(Buffer.from("✓")) + 1;
      res.write(bytes.subarray(0, cut));
      setTimeout(() => res.end(bytes.subarray(cut)), 5);
    };
    const got: string[] = [];
    for await (const msg of client().getLogs({ name: "hello" })) got.push(msg.text);
    expect(got).toEqual(lines.map((l) => l.text));
  });
});
