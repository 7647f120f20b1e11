/**
 * A body the client abandons half way: the read ends at once with a refusal (BODY_UNREADABLE, or
 * MALFORMED_BODY through a decompressor), for plain and gzip bodies alike, and leaves no listener of
 * its own on the request. Without that, an aborted request would hold its read (and a zlib context)
 * until the process ends.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { RequestError } from "../../template/node-ts-iam/src/error-answer.js";
import { DISCARD_LIMIT, discardRest, readBody } from "../../template/node-ts-iam/src/read-body.js";

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** Sends the headers and `partial` of a longer body, then drops the connection; resolves with what the read did. */
function abandon(headers: string, partial: Buffer): Promise<{ error: unknown; listeners: number[] }> {
  return new Promise((resolve) => {
    server = createServer((req: IncomingMessage) => {
      readBody(req, { bytes: 1 << 20, setting: "LIMIT" }, (bytes) => bytes, (error) => {
        if (error === undefined) resolve({ error: new Error("the read succeeded"), listeners: [] });
        // Past the refusal the read's own listeners are gone (Node keeps none of "data"/"end" itself).
        else setImmediate(() => resolve({ error, listeners: [req.listenerCount("data"), req.listenerCount("end"), req.listenerCount("close")] }));
      });
    });
    server.listen(0, "127.0.0.1", () => {
      const socket = connect((server!.address() as AddressInfo).port, "127.0.0.1", () => {
        socket.write(`POST / HTTP/1.1\r\nHost: test\r\n${headers}Content-Length: ${partial.length + 100}\r\n\r\n`);
        socket.write(partial);
        setTimeout(() => socket.destroy(), 50);
      });
    });
  });
}

describe("readBody when the client aborts", () => {
  it("refuses a plain body with BODY_UNREADABLE and keeps no listener", async () => {
    const { error, listeners } = await abandon("", Buffer.from('{"half":'));
    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).code).toBe("BODY_UNREADABLE");
    expect(listeners).toEqual([0, 0, 0]);
  });

  it("refuses a gzip body with MALFORMED_BODY and keeps no listener", async () => {
    const { error, listeners } = await abandon("Content-Encoding: gzip\r\n", gzipSync('{"zipped":true}').subarray(0, 12));
    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).code).toBe("MALFORMED_BODY");
    expect(listeners).toEqual([0, 0, 0]);
  });
});

/**
 * Reads one request of `chunks` (chunked, written 10 ms apart) with a 16-byte limit, plain or gzip;
 * resolves, once the request has ended and settled, with every call the callback received.
 */
function readChunked(chunks: Buffer[], encoding?: string): Promise<unknown[][]> {
  return new Promise((resolve) => {
    const calls: unknown[][] = [];
    server = createServer((req: IncomingMessage, res) => {
      readBody(req, { bytes: 16, setting: "LIMIT" }, (bytes) => bytes.toString(), (...args) => calls.push(args));
      // The refusal discards the rest (resume), so the request still ends; the callback must not run again.
      req.on("end", () => setTimeout(() => {
        res.end();
        resolve(calls);
      }, 20));
    });
    server.listen(0, "127.0.0.1", async () => {
      const socket = connect((server!.address() as AddressInfo).port, "127.0.0.1");
      const type = encoding ? `Content-Encoding: ${encoding}\r\n` : "";
      socket.write(`POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n${type}\r\n`);
      for (const chunk of chunks) {
        socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        socket.write("\r\n");
        await new Promise((r) => setTimeout(r, 10));
      }
      socket.end("0\r\n\r\n");
      socket.on("error", () => undefined);
      socket.resume();
    });
  });
}

describe("readBody calls back exactly once", () => {
  it("with the bytes of a body within the limit", async () => {
    const calls = await readChunked([Buffer.from("0123"), Buffer.from("4567")]);
    expect(calls).toEqual([[undefined, "01234567"]]);
  });

  it("with BODY_TOO_LARGE for a body that passes the limit part way, however much follows", async () => {
    const calls = await readChunked([Buffer.from("0123456789"), Buffer.from("0123456789"), Buffer.from("0123456789")]);
    expect(calls).toHaveLength(1);
    expect((calls[0]?.[0] as RequestError).code).toBe("BODY_TOO_LARGE");
  });

  it("with BODY_TOO_LARGE for a gzip body that inflates past the limit", async () => {
    const zipped = gzipSync("x".repeat(4096));
    const calls = await readChunked([zipped.subarray(0, 10), zipped.subarray(10)], "gzip");
    expect(calls).toHaveLength(1);
    expect((calls[0]?.[0] as RequestError).code).toBe("BODY_TOO_LARGE");
  });
});

/** A request stand-in: `headers` and a body of `chunks` pushed on demand, counting what was read. */
function fakeRequest(headers: Record<string, string>, chunks: number, chunk: Buffer): { req: IncomingMessage; pulled: () => number } {
  let pushed = 0;
  const stream = new Readable({
    read() {
      this.push(pushed < chunks ? chunk : null);
      pushed++;
    },
  });
  return { req: Object.assign(stream, { headers }) as unknown as IncomingMessage, pulled: () => pushed };
}

describe("discardRest (what a refusal reads before it is answered)", () => {
  const mib = Buffer.alloc(1024 * 1024);

  it("reads a body to its end, then answers", async () => {
    const { req, pulled } = fakeRequest({}, 8, mib);
    await new Promise<void>((resolve) => discardRest(req, resolve));
    expect([pulled(), req.readableEnded]).toEqual([9, true]);
  });

  it("answers once more than DISCARD_LIMIT arrived, without waiting for the end", async () => {
    const { req, pulled } = fakeRequest({}, DISCARD_LIMIT / mib.length + 16, mib);
    await new Promise<void>((resolve) => discardRest(req, resolve));
    expect(req.readableEnded).toBe(false);
    expect(pulled()).toBeLessThan(DISCARD_LIMIT / mib.length + 16);
    expect([req.listenerCount("data"), req.listenerCount("end"), req.listenerCount("close")]).toEqual([0, 0, 0]);
  });

  it("answers at once when the declared length is past DISCARD_LIMIT", () => {
    const { req, pulled } = fakeRequest({ "content-length": String(DISCARD_LIMIT + 1) }, 1, mib);
    let answered = false;
    discardRest(req, () => (answered = true));
    expect([answered, pulled()]).toEqual([true, 0]);
  });
});
