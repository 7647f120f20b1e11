/**
 * The node22 contract, part 2: the context, return values and callback style, and the fixes for
 * node22's faults (errors answer 500 JSON with the custom headers kept; objects are application/json).
 */
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
    ["a SCREAMING_SNAKE code of the handler's own", "OUT_OF_STOCK", "OUT_OF_STOCK"],
    ["a one-word code", "CONFLICT2", "CONFLICT2"],
    ["an ERR_ code (a Node or SDK error let through)", "ERR_INVALID_ARG_TYPE", "INTERNAL"],
    ["the SDK's ERR_FORBIDDEN", "ERR_FORBIDDEN", "INTERNAL"],
    ["a lower-case code", "out_of_stock", "INTERNAL"],
    ["a code with a double underscore", "OUT__OF", "INTERNAL"],
    ["a code with a space", "OUT OF", "INTERNAL"],
    ["no code", undefined, "INTERNAL"],
  ])("a thrown error with %s (%s) answers %s", async (_label, code, expected) => {
    const answer = await get(code === undefined ? "/throw-code" : `/throw-code?code=${encodeURIComponent(code)}`);
    expectErrorAnswer(answer, { status: 500, code: expected, message: "coded failure" });
  });

  it("answers a failed system call (ENOENT, with its syscall) as INTERNAL, with the error's text", async () => {
    expectErrorAnswer(await get("/throw-system-error"), { status: 500, code: "INTERNAL", message: "ENOENT: no such file or directory, open '/data/missing.json'" });
  });

  it("does not answer a throw with a success status set before it", async () => {
    const answer = await get("/throw-after-201");
    expect(answer.status).toBe(500);
  });

  it("answers non-Error throws in the same shape: a string as the message, an object by its message and code", async () => {
    expectErrorAnswer(await get("/throw-string"), { status: 500, code: "INTERNAL", message: "just a string" });
    expectErrorAnswer(await get("/throw-object"), { status: 500, code: "PLAIN_OBJECT", message: "a plain object" });
  });

  it("answers an invalid status, header or unserialisable value with 500 JSON instead of crashing", async () => {
    for (const path of ["/bad-status", "/bad-header"]) {
      expectErrorAnswer(await get(path), { status: 500, code: "INVALID_RESPONSE", message: /^invalid response from the handler: / });
    }
    // JSON.stringify's own TypeError: a thrown error of the handler's value, without a code of its own.
    expectErrorAnswer(await get("/bigint"), { status: 500, code: "INTERNAL", message: /BigInt/ });
    // The server is still up.
    expect((await get("/string")).status).toBe(200);
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
