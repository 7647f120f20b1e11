/**
 * The node22 contract, part 1: the event a handler receives and the body parsing rules
 * (Express 5 + body-parser 2 behaviour, reproduced without Express), plus the clear errors for bad bodies.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, TEMPLATE_DIR } from "./support/faas-build.js";
import { HANDLERS, serve, type InProcess } from "./support/in-process.js";
import { expectErrorAnswer } from "./support/error-shape.js";
import { send, startChild, type ChildServer } from "./support/process.js";

interface EventEcho {
  body: unknown;
  bodyType: string;
  headers: Record<string, string>;
  method: string;
  query: Record<string, unknown>;
  path: string;
}

describe("event and default body parsing", () => {
  let app: InProcess;
  beforeAll(async () => {
    app = await serve("scenarios.mjs", { MAX_JSON_SIZE: "2kb" });
  });
  afterAll(() => app.close());

  const echo = async (options: Parameters<typeof send>[1]): Promise<EventEcho> => {
    const answer = await send(app.port, { path: "/event", ...options });
    expect(answer.status).toBe(200);
    return JSON.parse(answer.text) as EventEcho;
  };

  it("gives method, path without the query, parsed query (repeated keys as arrays) and lower-cased headers", async () => {
    const event = await echo({ method: "DELETE", path: "/event?a=1&b=two&a=3&empty=&enc=x%20y", headers: { "X-Mixed-Case": "v" } });
    expect(event.method).toBe("DELETE");
    expect(event.path).toBe("/event");
    expect(event.query).toEqual({ a: ["1", "3"], b: "two", empty: "", enc: "x y" });
    expect(event.headers["x-mixed-case"]).toBe("v");
  });

  it("leaves the body undefined when the request has none", async () => {
    const event = await echo({ method: "GET" });
    expect(event.bodyType).toBe("undefined");
  });

  it("parses application/json into a value, and an empty JSON body into {}", async () => {
    const event = await echo({ method: "POST", headers: { "content-type": "application/json; charset=utf-8" }, body: '{"a":[1,{"b":null}]}' });
    expect(event.body).toEqual({ a: [1, { b: null }] });
    const empty = await echo({ method: "POST", headers: { "content-type": "application/json" }, body: "" });
    expect(empty.body).toEqual({});
  });

  it("treats a body without Content-Type as text/plain", async () => {
    const event = await echo({ method: "POST", body: '{"not":"parsed"}' });
    expect(event.bodyType).toBe("string");
    expect(event.body).toBe('{"not":"parsed"}');
  });

  it("gives text/* bodies as strings, decoding the declared charset", async () => {
    const csv = await echo({ method: "POST", headers: { "content-type": "text/csv" }, body: "a,b\n1,2" });
    expect(csv.body).toBe("a,b\n1,2");
    const latin1 = await echo({ method: "POST", headers: { "content-type": "text/plain; charset=iso-8859-1" }, body: Buffer.from([0x63, 0x61, 0x66, 0xe9]) });
    expect(latin1.body).toBe("café");
  });

  it("parses urlencoded bodies with the extended (qs) syntax", async () => {
    const event = await echo({
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "name=ada&tags[]=a&tags[]=b&user[role]=admin&n=1",
    });
    expect(event.body).toEqual({ name: "ada", tags: ["a", "b"], user: { role: "admin" }, n: "1" });
  });

  it("leaves other media types unparsed (undefined)", async () => {
    const event = await echo({ method: "POST", headers: { "content-type": "application/octet-stream" }, body: Buffer.from([1, 2, 3]) });
    expect(event.bodyType).toBe("undefined");
  });

  it("inflates gzip-encoded bodies as body-parser does", async () => {
    const event = await echo({
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: gzipSync('{"zipped":true}'),
    });
    expect(event.body).toEqual({ zipped: true });
  });

  it("reads chunked bodies (no Content-Length)", async () => {
    const event = await echo({ method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" }, body: '{"chunked":1}', chunked: true });
    expect(event.body).toEqual({ chunked: 1 });
  });

  it("answers malformed JSON with 400 and a JSON error, without echoing the body", async () => {
    const answer = await send(app.port, { method: "POST", path: "/event", headers: { "content-type": "application/json" }, body: '{"secret": "tok-canary-123", oops}' });
    expectErrorAnswer(answer, { status: 400, code: "MALFORMED_JSON", message: /^malformed JSON body at position \d+$/ });
    expect(answer.text).not.toContain("tok-canary-123");
  });

  it("refuses JSON that is not an object or array (body-parser's strict mode) with 400", async () => {
    const answer = await send(app.port, { method: "POST", path: "/event", headers: { "content-type": "application/json" }, body: '"just a string"' });
    expectErrorAnswer(answer, { status: 400, code: "MALFORMED_JSON", message: "malformed JSON body: expected an object or an array" });
  });

  it("answers a JSON body over MAX_JSON_SIZE with 413 naming the setting, declared or streamed", async () => {
    const big = JSON.stringify({ data: "x".repeat(3000) });
    const declared = await send(app.port, { method: "POST", path: "/event", headers: { "content-type": "application/json" }, body: big });
    expectErrorAnswer(declared, { status: 413, code: "BODY_TOO_LARGE", message: "request body is larger than MAX_JSON_SIZE (2048 bytes)" });
    const streamed = await send(app.port, { method: "POST", path: "/event", headers: { "content-type": "application/json", "transfer-encoding": "chunked" }, body: big, chunked: true });
    expectErrorAnswer(streamed, { status: 413, code: "BODY_TOO_LARGE", message: "request body is larger than MAX_JSON_SIZE (2048 bytes)" });
    const justUnder = JSON.stringify({ d: "y".repeat(2000) });
    expect((await send(app.port, { method: "POST", path: "/event", headers: { "content-type": "application/json" }, body: justUnder })).status).toBe(200);
  });

  it("applies node22's fixed 100kb limit to text bodies", async () => {
    const answer = await send(app.port, { method: "POST", path: "/event", headers: { "content-type": "text/plain" }, body: "z".repeat(100 * 1024 + 1) });
    expectErrorAnswer(answer, { status: 413, code: "BODY_TOO_LARGE", message: "request body is larger than the 100kb text limit (102400 bytes)" });
  });

  it("answers unsupported charsets and encodings with 415", async () => {
    const charset = await send(app.port, { method: "POST", path: "/event", headers: { "content-type": "application/json; charset=latin1" }, body: "{}" });
    expectErrorAnswer(charset, { status: 415, code: "UNSUPPORTED_CHARSET", message: 'unsupported charset "LATIN1"' });
    const encoding = await send(app.port, { method: "POST", path: "/event", headers: { "content-type": "application/json", "content-encoding": "compress" }, body: "{}" });
    expectErrorAnswer(encoding, { status: 415, code: "UNSUPPORTED_ENCODING", message: 'unsupported content encoding "compress"' });
  });

  it("answers a corrupt gzip body with 400", async () => {
    const answer = await send(app.port, { method: "POST", path: "/event", headers: { "content-type": "application/json", "content-encoding": "gzip" }, body: "not gzip at all" });
    expectErrorAnswer(answer, { status: 400, code: "MALFORMED_BODY", message: "request body is not valid gzip data" });
  });

  it("answers form bodies over body-parser's limits: 413 past 1000 parameters, 400 past 32 levels of nesting", async () => {
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const params = (n: number): string => Array.from({ length: n }, (_, i) => `p${i}=${i}`).join("&");
    expect((await send(app.port, { method: "POST", path: "/event", headers: form, body: params(1000) })).status).toBe(200);
    const many = await send(app.port, { method: "POST", path: "/event", headers: form, body: params(1001) });
    expectErrorAnswer(many, { status: 413, code: "TOO_MANY_PARAMETERS", message: "form body has more than 1000 parameters" });
    const deep = await send(app.port, { method: "POST", path: "/event", headers: form, body: `a${"[b]".repeat(33)}=1` });
    expectErrorAnswer(deep, { status: 400, code: "MALFORMED_BODY", message: "form body nesting is deeper than 32 levels" });
  });

  it("parses each request by its own Content-Type when types alternate (the last parsed type is remembered)", async () => {
    const latin1 = Buffer.from("caf\u00e9", "latin1");
    for (let round = 0; round < 2; round++) {
      const json = await echo({ method: "POST", headers: { "content-type": "application/json" }, body: '{"n":1}' });
      expect(json.body).toEqual({ n: 1 });
      const text = await echo({ method: "POST", headers: { "content-type": "text/plain; charset=iso-8859-1" }, body: latin1 });
      expect(text.body).toBe("caf\u00e9");
      const utf8 = await echo({ method: "POST", headers: { "content-type": "text/plain" }, body: "caf\u00e9" });
      expect(utf8.body).toBe("caf\u00e9");
      const other = await echo({ method: "POST", headers: { "content-type": "APPLICATION/JSON" }, body: "[2]" });
      expect(other.body).toEqual([2]);
      const unknown = await echo({ method: "POST", headers: { "content-type": "application/octet-stream" }, body: "x" });
      expect(unknown.bodyType).toBe("undefined");
      const refused = await send(app.port, { method: "POST", path: "/event", headers: { "content-type": "application/json; charset=latin1" }, body: "{}" });
      expect(refused.status).toBe(415);
    }
  });

  it("keeps serving the connection after refusing a body", async () => {
    const { Agent } = await import("node:http");
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const refused = await send(app.port, { method: "POST", path: "/event", agent, headers: { "content-type": "application/json" }, body: "{bad" });
      expect(refused.status).toBe(400);
      const next = await send(app.port, { method: "POST", path: "/event", agent, headers: { "content-type": "application/json" }, body: '{"ok":1}' });
      expect(JSON.parse(next.text)).toMatchObject({ body: { ok: 1 } });
    } finally {
      agent.destroy();
    }
  });
});

describe("RAW_BODY=true", () => {
  let app: InProcess;
  beforeAll(async () => {
    app = await serve("scenarios.mjs", { RAW_BODY: "true", MAX_RAW_SIZE: "1kb" });
  });
  afterAll(() => app.close());

  it("gives every body as a Buffer, whatever its type", async () => {
    for (const type of ["application/json", "text/plain", "application/octet-stream", undefined]) {
      const answer = await send(app.port, { method: "POST", path: "/event", headers: type ? { "content-type": type } : {}, body: '{"a":1}' });
      const event = JSON.parse(answer.text) as EventEcho;
      expect(event.bodyType).toBe("buffer");
      expect(Buffer.from((event.body as { buffer: string }).buffer, "base64").toString()).toBe('{"a":1}');
    }
  });

  it("limits raw bodies to MAX_RAW_SIZE", async () => {
    const answer = await send(app.port, { method: "POST", path: "/event", headers: { "content-type": "application/octet-stream" }, body: Buffer.alloc(1025) });
    expectErrorAnswer(answer, { status: 413, code: "BODY_TOO_LARGE", message: "request body is larger than MAX_RAW_SIZE (1024 bytes)" });
  });
});

/**
 * A refused body reaches a Node client: the server reads the rest of the body before it answers (up to
 * DISCARD_LIMIT). It used to answer at once and, for a request with `Connection: close`, close the
 * socket while the client was still sending: undici then failed with EPIPE (curl still saw the 413).
 */
describe("refusals a Node client reads, 5 MiB over the limit", () => {
  // Servers of their own (the compiled server, as the watchdog starts it): in this process the client
  // and the server would take turns on one event loop, which hides the reset.
  let parsed: ChildServer;
  let raw: ChildServer;
  const over = Buffer.alloc(5 * 1024 * 1024 + 100 * 1024, 0x61);
  beforeAll(async () => {
    execFileSync(join(REPO_ROOT, "node_modules/.bin/tsc"), ["-b", "--builders", "1", TEMPLATE_DIR], { cwd: REPO_ROOT, stdio: "pipe" });
    const start = (env: Record<string, string>): Promise<ChildServer> =>
      startChild({ command: process.execPath, args: ["dist/main.js"], cwd: TEMPLATE_DIR, env: { HANDLER_PATH: join(HANDLERS, "scenarios.mjs"), ...env } });
    [parsed, raw] = await Promise.all([start({}), start({ RAW_BODY: "true" })]);
  }, 60_000);
  afterAll(() => {
    parsed?.kill();
    raw?.kill();
  });

  const tooLarge = (setting: string) => ({ status: 413, code: "BODY_TOO_LARGE", message: `request body is larger than ${setting} (102400 bytes)` });

  it.each([
    ["RAW_BODY, declared", "raw", { "content-type": "application/octet-stream" }, false, tooLarge("MAX_RAW_SIZE")],
    ["RAW_BODY, chunked", "raw", {}, true, tooLarge("MAX_RAW_SIZE")],
    ["JSON, declared", "parsed", { "content-type": "application/json" }, false, tooLarge("MAX_JSON_SIZE")],
    ["JSON, chunked", "parsed", { "content-type": "application/json" }, true, tooLarge("MAX_JSON_SIZE")],
    ["a form, declared", "parsed", { "content-type": "application/x-www-form-urlencoded" }, false, tooLarge("the 100kb text limit")],
    ["an unsupported charset (refused before reading)", "parsed", { "content-type": "text/plain; charset=x-unknown" }, false, { status: 415, code: "UNSUPPORTED_CHARSET", message: 'unsupported charset "X-UNKNOWN"' }],
  ] as const)("%s: undici with Connection: close reads the answer", async (_label, server, headers, chunked, expected) => {
    const { request } = await import("undici");
    const port = server === "raw" ? raw.port : parsed.port;
    // `reset` sends Connection: close; a stream goes chunked.
    const body = chunked ? Readable.from([over.subarray(0, over.length / 2), over.subarray(over.length / 2)]) : over;
    const answer = await request(`http://127.0.0.1:${port}/event`, { method: "POST", headers, body, reset: true });
    expectErrorAnswer({ status: answer.statusCode, text: await answer.body.text() }, expected);
  });

  it("node:http without an agent (Connection: close) reads the answer", async () => {
    const answer = await send(raw.port, { method: "POST", path: "/event", headers: { "content-type": "application/octet-stream" }, body: over });
    expectErrorAnswer(answer, tooLarge("MAX_RAW_SIZE"));
  });

  it("undici keeping the connection gets the 413 and sends its next request on it", async () => {
    const { Client } = await import("undici");
    const client = new Client(`http://127.0.0.1:${raw.port}`);
    let connections = 0;
    client.on("connect", () => void connections++);
    try {
      const refused = await client.request({ method: "POST", path: "/event", headers: { "content-type": "application/octet-stream" }, body: over });
      expect([refused.statusCode, ((await refused.body.json()) as { code: string }).code]).toEqual([413, "BODY_TOO_LARGE"]);
      const next = await client.request({ method: "POST", path: "/event", body: "small" });
      expect([next.statusCode, ((await next.body.json()) as EventEcho).bodyType]).toEqual([200, "buffer"]);
      expect(connections).toBe(1);
    } finally {
      await client.close();
    }
  });

  it("past the discard limit, answers at once and closes the connection rather than reading on", async () => {
    const { connect } = await import("node:net");
    const { DISCARD_LIMIT } = await import("../../template/node-ts-iam/src/read-body.js");
    const socket = connect(raw.port, "127.0.0.1");
    const answer = await new Promise<string>((resolve, reject) => {
      let text = "";
      socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
      // A keep-alive request (HTTP/1.1, no Connection header) declaring more than the limit can discard.
      socket.write(`POST /event HTTP/1.1\r\nHost: test\r\nContent-Type: application/octet-stream\r\nContent-Length: ${DISCARD_LIMIT + 200 * 1024}\r\n\r\n`);
      socket.write(Buffer.alloc(1024));
    });
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    expect(answer).toContain('"code":"BODY_TOO_LARGE"');
  });
});

describe("default limits", () => {
  let app: InProcess;
  beforeAll(async () => {
    app = await serve("scenarios.mjs");
  });
  afterAll(() => app.close());

  it("accepts JSON up to 100kb and refuses one byte more (MAX_JSON_SIZE unset)", async () => {
    const padded = (size: number): string => `{"p":"${"a".repeat(size - 8)}"}`;
    expect(Buffer.byteLength(padded(100 * 1024))).toBe(100 * 1024);
    const atLimit = await send(app.port, { method: "POST", path: "/event", headers: { "content-type": "application/json" }, body: padded(100 * 1024) });
    expect(atLimit.status).toBe(200);
    const over = await send(app.port, { method: "POST", path: "/event", headers: { "content-type": "application/json" }, body: padded(100 * 1024 + 1) });
    expectErrorAnswer(over, { status: 413, code: "BODY_TOO_LARGE", message: "request body is larger than MAX_JSON_SIZE (102400 bytes)" });
  });
});
