/**
 * A body the client abandons half way: the read ends at once with a refusal (BODY_UNREADABLE, or
 * MALFORMED_BODY through a decompressor), for plain and gzip bodies alike, and leaves no listener of
 * its own on the request. Without that, an aborted request would hold its read (and a zlib context)
 * until the process ends.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { RequestError } from "../../template/node-ts-iam/src/error-answer.js";
import { readBody } from "../../template/node-ts-iam/src/read-body.js";

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
