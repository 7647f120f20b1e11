/**
 * Reads a request body into one Buffer under a size limit, inflating `Content-Encoding` as
 * body-parser does (gzip, deflate, br, and zstd where Node has it).
 */
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { RequestError } from "./error-answer.js";

/** Names the limit in errors so that the caller knows which setting to raise. */
export interface BodyLimit {
  readonly bytes: number;
  readonly setting: string;
}

function tooLarge(limit: BodyLimit): RequestError {
  return new RequestError(413, "BODY_TOO_LARGE", `request body is larger than ${limit.setting} (${limit.bytes} bytes)`);
}

/**
 * How much of a refused body is still read, and thrown away, before the refusal is answered. A server
 * that closes the connection while the client still sends makes the client's kernel reset it, and a
 * Node client (undici, node:http) then reports EPIPE instead of the answer; node22 (body-parser) reads
 * the whole body first, without a bound. 64 MiB is many times the body limits functions set and a
 * fraction of a second on a pod network; past it, the answer is sent at once and the connection closed.
 */
export const DISCARD_LIMIT = 64 * 1024 * 1024;

/**
 * Reads and discards the rest of a refused request, then calls `then` (once): when the request has
 * ended, so that the answer goes out on a connection still open; at once when the client has gone or
 * more than DISCARD_LIMIT bytes remain (declared, or counted). The answer then finds the request
 * incomplete and closes the connection (respond.ts).
 */
export function discardRest(req: IncomingMessage, then: () => void): void {
  if (req.readableEnded || req.destroyed || Number(req.headers["content-length"]) > DISCARD_LIMIT) return then();
  req.resume();
  let discarded = 0;
  const finish = (): void => {
    req.off("data", onData);
    req.off("end", finish);
    req.off("close", finish);
    then();
  };
  const onData = (chunk: Buffer): void => {
    discarded += chunk.length;
    if (discarded <= DISCARD_LIMIT) return;
    req.pause(); // read no more: the connection closes after the answer
    finish();
  };
  req.on("data", onData);
  req.on("end", finish);
  req.on("close", finish);
}

/**
 * Called once a body is read: with the error that refused it, or with `convert` of its bytes. A
 * callback, not a promise: the common case (one chunk, then end) answers in the same turn as the
 * request's "end", without a promise and a microtask per request (measured in `npm run bench -- template`).
 */
export type BodyCallback<T> = (error: unknown, value?: T) => void;

/**
 * Collects `stream` until it ends and calls `done` with `convert` of its bytes, or with 413 past the
 * limit. Whichever way it fails, the rest of the request is discarded (discardRest) and a decompressor in between is
 * destroyed (after a client abort it would otherwise wait for an end that never comes, holding its zlib
 * context); `done` is called exactly once.
 */
function collect<T>(stream: Readable, source: IncomingMessage, limit: BodyLimit, convert: (bytes: Buffer) => T, done: BodyCallback<T>): void {
  const chunks: Buffer[] = [];
  let size = 0;
  // A request the client aborts emits "error" (ECONNRESET) to its own listeners; a decompressor in
  // between does not see that, so only then is the request's "close" watched too.
  const inflating = stream !== source;
  const cleanup = (): void => {
    stream.off("data", onData);
    stream.off("end", onEnd);
    stream.off("error", onError);
    if (inflating) source.off("close", onClose);
  };
  const abandon = (error: RequestError): void => {
    cleanup();
    if (inflating) {
      source.unpipe();
      stream.destroy();
    }
    discardRest(source, () => done(error));
  };
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size > limit.bytes) abandon(tooLarge(limit));
    else chunks.push(chunk);
  };
  const onEnd = (): void => {
    cleanup();
    let value: T;
    try {
      value = convert(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    } catch (error) {
      done(error);
      return;
    }
    done(undefined, value);
  };
  const onError = (error: Error): void => {
    abandon(new RequestError(400, "BODY_UNREADABLE", `request body could not be read: ${error.message}`));
  };
  const onClose = (): void => {
    if (!source.complete) onError(new Error("the client aborted the request"));
  };
  stream.on("data", onData);
  stream.on("end", onEnd);
  stream.on("error", onError);
  if (inflating) source.on("close", onClose);
}

type Zlib = typeof import("node:zlib");
let zlib: Zlib | undefined;

function decompressor(encoding: string): import("node:stream").Transform {
  // zlib loads only when a compressed body first arrives: plain requests do not pay for it.
  const z = (zlib ??= require("node:zlib") as Zlib);
  switch (encoding) {
    case "gzip":
      return z.createGunzip();
    case "deflate":
      return z.createInflate();
    case "br":
      return z.createBrotliDecompress();
    case "zstd": {
      const createZstd = (z as Zlib & { createZstdDecompress?: () => import("node:stream").Transform }).createZstdDecompress;
      if (createZstd) return createZstd();
    }
  }
  throw new RequestError(415, "UNSUPPORTED_ENCODING", `unsupported content encoding "${encoding}"`);
}

function inflate<T>(req: IncomingMessage, encoding: string, limit: BodyLimit, convert: (bytes: Buffer) => T, done: BodyCallback<T>): void {
  let stream: import("node:stream").Transform;
  try {
    stream = decompressor(encoding);
  } catch (error) {
    discardRest(req, () => done(error));
    return;
  }
  req.pipe(stream);
  collect(stream, req, limit, convert, (error, value) => {
    if (error instanceof RequestError && error.code === "BODY_UNREADABLE") {
      done(new RequestError(400, "MALFORMED_BODY", `request body is not valid ${encoding} data`));
    } else {
      done(error, value);
    }
  });
}

/**
 * Reads the whole body of `req` and calls `done` with `convert` of its bytes (or with what `convert`
 * threw); refuses (413) without keeping the bytes when `Content-Length` already exceeds the limit.
 */
export function readBody<T>(req: IncomingMessage, limit: BodyLimit, convert: (bytes: Buffer) => T, done: BodyCallback<T>): void {
  const contentEncoding = req.headers["content-encoding"];
  const encoding = contentEncoding === undefined ? "identity" : contentEncoding.toLowerCase();
  if (encoding !== "identity") return inflate(req, encoding, limit, convert, done);
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit.bytes) {
    const error = tooLarge(limit);
    return discardRest(req, () => done(error));
  }
  collect(req, req, limit, convert, done);
}
