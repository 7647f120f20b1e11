/**
 * The node22 contract, part 2: the context, return values and callback style, and the fixes for
 * node22's faults (errors answer 500 JSON with the custom headers kept; objects are application/json).
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from "vitest";
import { expectErrorAnswer } from "./support/error-shape.js";
import { serve, type InProcess } from "./support/in-process.js";
import { send, type Answer } from "./support/process.js";

let app: InProcess;
let callbacks: InProcess;
let asyncCallbacks: InProcess;
let errors: MockInstance<typeof console.error>;
beforeAll(async () => {
  // Handler errors are logged to stderr by design; keep the test output readable.
  errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
  app = await serve("scenarios.mjs");
  callbacks = await serve("callback-style.mjs");
  asyncCallbacks = await serve("async-callback.mjs");
});
afterAll(async () => {
  await app.close();
  await callbacks.close();
  await asyncCallbacks.close();
  vi.restoreAllMocks();
});

const get = (path: string, port = app.port): Promise<Answer> => send(port, { path });
const json = (answer: Answer): unknown => JSON.parse(answer.text);

describe("context", () => {
  it("status(code) and headers(map) chain and return the context; headers() replaces the whole map", async () => {
    const answer = await get("/status-chain");
    expect(answer.status).toBe(201);
    expect(json(answer)).toEqual({ status: 201, headers: { "x-b": "2" }, same: true, replaced: true });
    expect(answer.headers["x-b"]).toBe("2");
    expect(answer.headers["x-a"]).toBeUndefined();
  });

  it("status() is 200 and headers() is an empty map by default; the map returned is the live one", async () => {
    expect(json(await get("/default-status"))).toEqual({ status: 200, headers: {} });
    expect((await get("/mutate-headers")).headers["x-mutated"]).toBe("yes");
  });

  it("succeed(object) sends JSON as application/json with the status and headers set", async () => {
    const answer = await get("/succeed-object");
    expect(answer.status).toBe(202);
    expect(answer.headers["x-custom"]).toBe("kept");
    expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(answer.text).toBe('{"ok":true}');
    expect(answer.headers["content-length"]).toBe("11");
  });

  it("succeed(array) sends JSON", async () => {
    const answer = await get("/succeed-array");
    expect(answer.text).toBe("[1,2,3]");
    expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
  });

  it("answers once: later succeed calls and the return value are ignored, with a log line (node22 died of it)", async () => {
    errors.mockClear();
    expect((await get("/succeed-twice")).text).toBe("first");
    expect(errors.mock.calls.flat().join(" ")).toContain("answered a request that was already answered");
    expect((await get("/string")).status).toBe(200);
  });

  it("fail(value) answers String(value) with 500, keeping the headers set", async () => {
    const answer = await get("/fail");
    expect(answer.status).toBe(500);
    expect(answer.text).toBe("Error: nope");
    expect(answer.headers["x-custom"]).toBe("kept");
  });

  it("fail keeps a status set before it", async () => {
    const answer = await get("/fail-404");
    expect(answer.status).toBe(404);
    expect(answer.text).toBe("missing");
  });

  it("fail(falsy) answers 500 with no body, as node22's callback takes a falsy error for success", async () => {
    const answer = await get("/fail-falsy");
    expect([answer.status, answer.text, answer.headers["content-length"], answer.headers["x-custom"]]).toEqual([500, "", "0", "kept"]);
  });
});

describe("the context as the answer (node22's redirect idiom)", () => {
  it("a returned context answers with the status and headers set on it and no body", async () => {
    const answer = await get("/redirect");
    expect([answer.status, answer.headers["location"], answer.headers["content-type"], answer.headers["content-length"], answer.text]).toEqual([
      302,
      "https://example.com/next",
      undefined,
      "0",
      "",
    ]);
  });

  it("so does succeed(context), keeping a type the handler set, and callback(null, context)", async () => {
    const succeeded = await get("/succeed-context");
    expect([succeeded.status, succeeded.headers["location"], succeeded.headers["content-type"], succeeded.text]).toEqual([303, "/elsewhere", "text/plain; charset=utf-8", ""]);
    const called = await get("/redirect", callbacks.port);
    expect([called.status, called.headers["location"], called.text]).toEqual([301, "https://example.com/moved", ""]);
  });

  it("a context inside a value serialises as its status and headers, never its socket", async () => {
    const answer = await get("/context-inside");
    expect(answer.status).toBe(200);
    expect(answer.text).not.toMatch(/Socket|ServerResponse|_events/);
    expect(json(answer)).toEqual({ context: { answered: true, statusCode: 200, headerValues: {} } });
  });
});

describe("return values (sent as by succeed)", () => {
  it("strings as they are (text/html unless a type was set, as Express), sent as UTF-8 and saying so", async () => {
    const plain = await get("/string");
    expect(plain.text).toBe("plain words");
    expect(plain.headers["content-type"]).toBe("text/html; charset=utf-8");
    const typed = await get("/typed-string");
    expect(typed.headers["content-type"]).toBe("text/plain; charset=utf-8");
  });

  it("objects as JSON, keeping a content type the handler chose (with the charset of the JSON text)", async () => {
    const answer = await get("/typed-object");
    expect(answer.headers["content-type"]).toBe("application/vnd.custom+json; charset=utf-8");
    expect(json(answer)).toEqual({ custom: true });
    expect(json(await get("/instance"))).toEqual({ x: 1, y: 2 });
  });

  it("completes the handler's Content-Type as node22's res.set: short names, default charsets; an unknown name is no type", async () => {
    const short = await get("/short-type");
    expect([short.headers["content-type"], short.text]).toEqual(["application/json; charset=utf-8", '{"short":true}']);
    expect((await get("/unknown-short-type")).headers["content-type"]).toBe("text/html; charset=utf-8");
    const latin1 = await get("/latin1-type");
    expect([latin1.headers["content-type"], latin1.text]).toEqual(["text/plain; charset=utf-8", "café"]);
    expect((await get("/typed-buffer")).headers["content-type"]).toBe("text/plain; charset=utf-8");
  });

  it("sends 204 without type, length or body, as Express", async () => {
    const answer = await get("/no-content");
    expect([answer.status, answer.text, answer.headers["content-type"], answer.headers["content-length"]]).toEqual([204, "", undefined, undefined]);
  });

  it("numbers and booleans as JSON, Buffers as octet-stream, null and undefined as an empty body", async () => {
    const number = await get("/number");
    expect([number.text, number.headers["content-type"]]).toEqual(["42", "application/json; charset=utf-8"]);
    expect((await get("/boolean")).text).toBe("false");
    const buffer = await get("/buffer");
    expect([...buffer.raw]).toEqual([0, 1, 2, 255]);
    expect(buffer.headers["content-type"]).toBe("application/octet-stream");
    for (const path of ["/null", "/undefined"]) {
      const empty = await get(path);
      expect([empty.status, empty.text, empty.headers["content-length"]]).toEqual([200, "", "0"]);
    }
  });
});

describe("errors (node22's faults, fixed)", () => {
  it("a thrown error answers 500 with a JSON body, keeping custom headers", async () => {
    const answer = await get("/throw");
    expectErrorAnswer(answer, { status: 500, code: "INTERNAL", message: "boom" });
    expect(answer.headers["x-custom"]).toBe("kept");
  });

  it("a rejected promise answers 500 JSON with the custom headers", async () => {
    const answer = await get("/reject");
    expectErrorAnswer(answer, { status: 500, code: "INTERNAL", message: "rejected" });
    expect(answer.headers["x-custom"]).toBe("kept");
  });

  it("keeps an error status (≥ 400) set before the throw, and the error's own code", async () => {
    const answer = await get("/throw-409");
    expectErrorAnswer(answer, { status: 409, code: "CONFLICT", message: "already there" });
    expect(answer.headers["x-custom"]).toBe("kept");
  });

  it.each([
    ["a SCREAMING_SNAKE code of the handler's own", "OUT_OF_STOCK", "OUT_OF_STOCK", "coded failure"],
    ["a one-word code", "CONFLICT2", "CONFLICT2", "coded failure"],
    ["an ERR_ code (a Node or SDK error let through)", "ERR_INVALID_ARG_TYPE", "INTERNAL", "internal error"],
    ["the SDK's ERR_FORBIDDEN", "ERR_FORBIDDEN", "INTERNAL", "internal error"],
    ["a lower-case code", "out_of_stock", "INTERNAL", "coded failure"],
    ["a code with a double underscore", "OUT__OF", "INTERNAL", "coded failure"],
    ["a code with a space", "OUT OF", "INTERNAL", "coded failure"],
    ["no code", undefined, "INTERNAL", "coded failure"],
  ])("a thrown error with %s (%s) answers %s", async (_label, code, expected, message) => {
    const answer = await get(code === undefined ? "/throw-code" : `/throw-code?code=${encodeURIComponent(code)}`);
    expectErrorAnswer(answer, { status: 500, code: expected, message });
  });

  it("answers a failed system call (ENOENT, with its syscall) as INTERNAL without its text, which the log keeps", async () => {
    errors.mockClear();
    const answer = await get("/throw-system-error");
    expectErrorAnswer(answer, { status: 500, code: "INTERNAL", message: "internal error" });
    expect(answer.text).not.toContain("/data/missing.json");
    expect(errors.mock.calls.flat().map(String).join(" ")).toContain("/data/missing.json");
  });

  it("fail(error) with Node's error sends no path or text of it either", async () => {
    const answer = await get("/fail-system-error");
    expect([answer.status, answer.headers["content-type"], answer.text]).toEqual([500, "text/html; charset=utf-8", "internal error"]);
  });

  it("answers a thrown value that String() cannot print", async () => {
    expectErrorAnswer(await get("/throw-bare-object"), { status: 500, code: "INTERNAL", message: "unprintable value" });
    expect((await get("/string")).status).toBe(200);
  });

  it("does not answer a throw with a success status set before it", async () => {
    const answer = await get("/throw-after-201");
    expect(answer.status).toBe(500);
  });

  it("answers non-Error throws in the same shape: a string as the message, an object by its message and code", async () => {
    expectErrorAnswer(await get("/throw-string"), { status: 500, code: "INTERNAL", message: "just a string" });
    expectErrorAnswer(await get("/throw-object"), { status: 500, code: "PLAIN_OBJECT", message: "a plain object" });
  });

  it("answers an invalid status, header or unserialisable value with 500 JSON in its own words, instead of crashing", async () => {
    expectErrorAnswer(await get("/bad-status"), { status: 500, code: "INVALID_RESPONSE", message: "invalid response from the handler: the status is not an HTTP status code" });
    expectErrorAnswer(await get("/bad-header"), { status: 500, code: "INVALID_RESPONSE", message: 'invalid response from the handler: the value of the header "x-bad" is not a valid header value' });
    const notJson = /^invalid response from the handler: its value cannot be sent as JSON \(/;
    for (const path of ["/bigint", "/circular"]) {
      const answer = await get(path);
      expectErrorAnswer(answer, { status: 500, code: "INVALID_RESPONSE", message: notJson });
      // V8's own text ("Converting circular structure ...", "Do not know how to serialize a BigInt") stays in the log.
      expect(answer.text).not.toMatch(/Converting|serialize|Invalid/);
    }
    // The server is still up.
    expect((await get("/string")).status).toBe(200);
  });
});

describe("ETAG=true: node22's ETag and conditional GET", () => {
  let tagged: InProcess;
  beforeAll(async () => {
    tagged = await serve("scenarios.mjs", { ETAG: "true" });
  });
  afterAll(() => tagged.close());

  const conditional = (path: string, headers: Record<string, string>, method = "GET"): Promise<Answer> => send(tagged.port, { method, path, headers });
  /** Express's weak ETag, computed here from its definition: byte length in hex, SHA-1 in base64 cut to 27 characters. */
  const expressTag = (body: string | Buffer): string => `W/"${Buffer.byteLength(body).toString(16)}-${createHash("sha1").update(body).digest("base64").slice(0, 27)}"`;

  it("is off by default: no ETag, and If-None-Match changes nothing", async () => {
    const answer = await send(app.port, { path: "/string", headers: { "if-none-match": "*" } });
    expect([answer.status, answer.headers["etag"], answer.text]).toEqual([200, undefined, "plain words"]);
  });

  it("tags every answer with a body as Express does: strings, JSON, Buffers, error answers", async () => {
    for (const path of ["/string", "/succeed-object", "/buffer", "/throw"]) {
      const answer = await get(path, tagged.port);
      expect(answer.headers["etag"], path).toBe(expressTag(answer.raw));
    }
    expect((await get("/null", tagged.port)).headers["etag"]).toBe('W/"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk"');
    expect((await get("/undefined", tagged.port)).headers["etag"]).toBeUndefined();
  });

  it("answers 304 without type, length or body to a GET or HEAD whose If-None-Match names the tag, keeping the handler's headers", async () => {
    const tag = expressTag("plain words");
    for (const header of [tag, tag.slice(2), `"other", ${tag}`, "*"]) {
      const answer = await conditional("/string", { "if-none-match": header });
      expect([answer.status, answer.headers["etag"], answer.headers["content-type"], answer.headers["content-length"], answer.text], header).toEqual([304, tag, undefined, undefined, ""]);
    }
    expect((await conditional("/string", { "if-none-match": tag }, "HEAD")).status).toBe(304);
    const accepted = await conditional("/succeed-object", { "if-none-match": expressTag('{"ok":true}') });
    expect([accepted.status, accepted.headers["x-custom"], accepted.text]).toEqual([304, "kept", ""]);
  });

  it("answers in full to another tag, a POST, Cache-Control: no-cache, and a status outside 2xx", async () => {
    const tag = expressTag("plain words");
    expect((await conditional("/string", { "if-none-match": 'W/"b-other"' })).status).toBe(200);
    expect((await conditional("/string", { "if-none-match": tag }, "POST")).status).toBe(200);
    expect((await conditional("/string", { "if-none-match": tag, "cache-control": "no-cache" })).status).toBe(200);
    const notFound = await get("/nowhere", tagged.port);
    expect((await conditional("/nowhere", { "if-none-match": notFound.headers["etag"] as string })).status).toBe(404);
  });

  it("keeps an ETag the handler set, and compares If-Modified-Since with its Last-Modified", async () => {
    const own = await conditional("/own-etag", { "if-none-match": '"v42"' });
    expect([own.status, own.headers["etag"]]).toEqual([304, '"v42"']);
    expect((await conditional("/dated", { "if-modified-since": "Mon, 07 Dec 2026 10:00:00 GMT" })).status).toBe(304);
    expect((await conditional("/dated", { "if-modified-since": "Sun, 06 Dec 2026 10:00:00 GMT" })).status).toBe(200);
    expect((await conditional("/string", { "if-modified-since": "Mon, 07 Dec 2026 10:00:00 GMT" })).status).toBe(200);
  });
});

describe("callback style", () => {
  it("callback(undefined, value) answers with the value", async () => {
    expect(json(await get("/now", callbacks.port))).toEqual({ now: true });
  });

  it("waits for a callback called after the handler returned", async () => {
    expect(json(await get("/later", callbacks.port))).toEqual({ later: true });
  });

  it("waits for the context answered after the handler returned", async () => {
    const answer = await get("/context-later", callbacks.port);
    expect([answer.status, answer.text]).toEqual([203, "via context"]);
  });

  it("answers an async handler that declares the callback and resolves without calling it (node22 did; it used to hang)", async () => {
    const answer = await get("/context-only", asyncCallbacks.port);
    expect([answer.status, answer.text, answer.headers["content-length"], answer.headers["content-type"], answer.headers["x-step"]]).toEqual([
      202,
      "",
      "0",
      undefined,
      "queued",
    ]);
    expect(json(await get("/value", asyncCallbacks.port))).toEqual({ value: true });
    expect(json(await get("/now", asyncCallbacks.port))).toEqual({ now: true });
  });

  it("answers an async handler when its promise resolves: a callback after that is ignored with a log line", async () => {
    errors.mockClear();
    const answer = await get("/late-callback", asyncCallbacks.port);
    expect([answer.status, answer.text]).toEqual([200, ""]);
    await vi.waitFor(() => expect(errors.mock.calls.flat().join(" ")).toContain("already answered"));
  });

  it("callback(error) answers 500 JSON with the custom headers", async () => {
    const answer = await get("/error", callbacks.port);
    expectErrorAnswer(answer, { status: 500, code: "INTERNAL", message: "callback failure" });
    expect(answer.headers["x-custom"]).toBe("kept");
  });
});
