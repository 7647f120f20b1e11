/**
 * Writing answers. Every answer is one `writeHead` (with Content-Length) + one `end`, and every error
 * answer is JSON `{"code", "message"}` (error-answer.ts).
 */
import { validateHeaderName, validateHeaderValue, type OutgoingHttpHeaders, type ServerResponse } from "node:http";
import type { FunctionHeaders } from "@node-ts-iam/sdk";
import { failureText, RequestError, thrownErrorBody, type ErrorBody, type ServerErrorCode } from "./error-answer.js";
import { conditionalStatus } from "./etag.js";
import { completeType, withUtf8Charset } from "./response-type.js";

const JSON_TYPE = "application/json; charset=utf-8";
/** node22 (Express `res.send`) answers strings as HTML unless the handler set a type; kept for compatibility. */
const HTML_TYPE = "text/html; charset=utf-8";
const BINARY_TYPE = "application/octet-stream";

/** An answer body: bytes, text, or none. */
type Body = string | Uint8Array | undefined;

function byteLength(body: Body): number {
  if (body === undefined) return 0;
  return typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
}

/** The handler's headers as Express's `res.set` leaves them, with the Content-Type apart. */
interface HandlerHeaders {
  readonly headers: OutgoingHttpHeaders;
  /** The completed Content-Type the handler set, if it names one. */
  readonly type: string | undefined;
}

/**
 * Copies the handler's headers: undefined values dropped, Content-Length left to the server (`writeHead`
 * comes before `end`, so it is always known; without it Node would answer chunked), Content-Type
 * completed as node22's `res.set` completes it.
 */
function handlerHeaders(custom: FunctionHeaders): HandlerHeaders {
  const headers: OutgoingHttpHeaders = {};
  let type: string | undefined;
  for (const key in custom) {
    const value = custom[key];
    if (value === undefined) continue;
    if (key.length === 12 && key.toLowerCase() === "content-type") {
      type = completeType(String(Array.isArray(value) ? value[0] : value));
    } else if (key.length !== 14 || key.toLowerCase() !== "content-length") {
      headers[key] = value;
    }
  }
  return { headers, type };
}

/**
 * Writes a complete answer with `type` and a Content-Length, as Express's `send` finishes one: 204 and
 * 304 carry neither a type, a length nor a body, 205 a length of 0 and no body; with `etag` (`ETAG=true`)
 * a body is tagged and a conditional GET may become 304 (etag.ts). A bad status or header from the
 * handler becomes a 500 JSON answer.
 */
function write(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, type: string | undefined, body: Body, etag: boolean): void {
  // Tagged before 204/304 drop the body, as Express tags it.
  if (etag && body !== undefined) status = conditionalStatus(res.req, status, headers, body);
  if (status === 204 || status === 304) {
    body = undefined;
  } else {
    if (status === 205) body = undefined;
    if (type !== undefined) headers["content-type"] = type;
    headers["content-length"] = byteLength(body);
  }
  try {
    res.writeHead(status, headers);
  } catch (error) {
    console.error("node-ts-iam: invalid response from the handler:", error);
    if (!res.headersSent) sendError(res, 500, "INVALID_RESPONSE", `invalid response from the handler: ${refusal(error, headers)}`);
    return;
  }
  res.end(body);
}

/**
 * What Node refused in an answer, in the server's words: Node's message names its own internals (and
 * stays in the log line). Header names are the handler's and help it find the fault; values are not repeated.
 */
function refusal(error: unknown, headers: OutgoingHttpHeaders): string {
  if ((error as { code?: unknown } | null)?.code === "ERR_HTTP_INVALID_STATUS_CODE") return "the status is not an HTTP status code";
  for (const name in headers) {
    try {
      validateHeaderName(name);
    } catch {
      return "a header name is not an HTTP token";
    }
    const value = headers[name];
    try {
      for (const item of Array.isArray(value) ? value : [value]) validateHeaderValue(name, String(item));
    } catch {
      return `the value of the header "${name}" is not a valid header value`;
    }
  }
  return "Node refused its status or headers";
}

/** The JSON text of a value, or undefined when it has none (a 500 has then been sent). */
function jsonText(res: ServerResponse, headers: OutgoingHttpHeaders, value: unknown, etag: boolean): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (error) {
    // JSON.stringify's own TypeError names the objects it met (a ServerResponse, a Socket): logged only.
    console.error("node-ts-iam: the handler's value cannot be sent as JSON:", error);
    const body: ErrorBody = { code: "INVALID_RESPONSE", message: "invalid response from the handler: its value cannot be sent as JSON (a circular structure, a BigInt, or a toJSON that threw)" };
    write(res, 500, headers, JSON_TYPE, JSON.stringify(body), etag);
    return undefined;
  }
}

/**
 * `context.succeed(value)` and plain return values, as node22's `res.send`: strings as they are (HTML
 * unless a type is set), Buffers and typed arrays as bytes (octet-stream unless a type is set), `null`
 * as an empty body, `undefined` as none; objects, arrays, numbers and booleans as JSON text typed
 * `application/json` unless a type is set (node22 typed plain objects and arrays as HTML). Text bodies go
 * out as UTF-8 and say so.
 */
export function sendValue(res: ServerResponse, status: number, custom: FunctionHeaders, value: unknown, etag: boolean): void {
  const { headers, type } = handlerHeaders(custom);
  switch (typeof value) {
    case "string":
      return write(res, status, headers, type === undefined ? HTML_TYPE : withUtf8Charset(type), value, etag);
    case "object":
      if (value === null) return write(res, status, headers, type, "", etag);
      if (ArrayBuffer.isView(value)) {
        const bytes = value instanceof Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
        return write(res, status, headers, type ?? BINARY_TYPE, bytes, etag);
      }
    // Other objects (plain, arrays, class instances) are JSON, like numbers and booleans.
    // falls through
    case "number":
    case "boolean":
    case "bigint": {
      const text = jsonText(res, headers, value, etag);
      if (text === undefined) return;
      return write(res, status, headers, type === undefined ? JSON_TYPE : withUtf8Charset(type), text, etag);
    }
    default:
      // undefined, functions and symbols: no body, as Express sends for undefined.
      return write(res, status, headers, type, undefined, etag);
  }
}

/**
 * `context.fail(value)`: node22's `String(value)` body (failureText), typed HTML unless a type is set
 * (node22 dropped the handler's headers here; they are kept). A falsy value answers as `succeed()`
 * would: node22's callback takes a falsy error for success.
 */
export function sendFailure(res: ServerResponse, status: number, custom: FunctionHeaders, value: unknown, etag: boolean): void {
  if (!value) return sendValue(res, status, custom, undefined, etag);
  const { headers, type } = handlerHeaders(custom);
  write(res, status, headers, type === undefined ? HTML_TYPE : withUtf8Charset(type), failureText(value), etag);
}

/** A thrown error, rejected promise or `callback(error)`: JSON `{code, message}`, the handler's headers kept. */
export function sendHandlerError(res: ServerResponse, status: number, custom: FunctionHeaders, error: unknown, etag: boolean): void {
  write(res, status, handlerHeaders(custom).headers, JSON_TYPE, JSON.stringify(thrownErrorBody(error)), etag);
}

/**
 * A request refused before the handler ran. The refusal comes once the body is read (read-body.ts
 * `discardRest`); if it comes earlier (the client went, or sent more than the discard limit) the
 * connection closes after it, rather than reading on.
 */
export function sendRequestError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) return;
  if (!res.req.complete) res.shouldKeepAlive = false;
  if (error instanceof RequestError) {
    sendError(res, error.status, error.code, error.message);
    return;
  }
  console.error("node-ts-iam: request failed:", error);
  sendError(res, 500, "INTERNAL", "internal error while reading the request");
}

/** An error answer of the server itself. */
export function sendError(res: ServerResponse, status: number, code: ServerErrorCode, message: string): void {
  const body: ErrorBody = { code, message };
  sendJson(res, status, body);
}

/** A JSON answer from the server itself (readiness, routing). */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": JSON_TYPE, "content-length": Buffer.byteLength(body) }).end(body);
}
