/**
 * Writing answers. Every answer is one `writeHead` (with Content-Length) + one `end`, and all
 * error answers are JSON `{"error": message, "code"?: string}`.
 */
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { FunctionHeaders } from "@node-ts-iam/sdk";
import { RequestError } from "./request-error.js";

const JSON_TYPE = "application/json; charset=utf-8";
/** node22 (Express `res.send`) answers strings as HTML unless the handler set a type; kept for compatibility. */
const HTML_TYPE = "text/html; charset=utf-8";
const BINARY_TYPE = "application/octet-stream";

/** Statuses that carry no body (and so no Content-Length). */
function isBodiless(status: number): boolean {
  return status === 204 || status === 304 || (status >= 100 && status < 200);
}

function byteLength(body: string | Uint8Array | undefined): number {
  if (body === undefined) return 0;
  return typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
}

/**
 * The answer's headers: the handler's (undefined values dropped), a content type (`type` fills in a
 * missing one, or replaces the handler's when `force` is set: JSON error bodies), and Content-Length
 * (set here because `writeHead` comes before `end`; without it Node would answer chunked).
 */
function answerHeaders(
  custom: FunctionHeaders,
  type: string | undefined,
  force: boolean,
  status: number,
  body: string | Uint8Array | undefined,
): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  let hasType = false;
  for (const key in custom) {
    const value = custom[key];
    if (value === undefined) continue;
    if (key.length === 12 && key.toLowerCase() === "content-type") {
      hasType = true;
      if (force) continue;
    } else if (key.length === 14 && key.toLowerCase() === "content-length") {
      continue;
    }
    headers[key] = value;
  }
  if (type !== undefined && (force || !hasType)) headers["content-type"] = type;
  if (!isBodiless(status)) headers["content-length"] = byteLength(body);
  return headers;
}

function errorBody(message: string, code?: string): string {
  return JSON.stringify(code === undefined ? { error: message } : { error: message, code });
}

/** Writes a complete answer; a bad status or header from the handler becomes a 500 JSON answer. */
function write(
  res: ServerResponse,
  status: number,
  custom: FunctionHeaders,
  type: string | undefined,
  force: boolean,
  body: string | Uint8Array | undefined,
): void {
  try {
    res.writeHead(status, answerHeaders(custom, type, force, status, body));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    console.error(`node-ts-iam: invalid response from the handler: ${reason}`);
    if (!res.headersSent) {
      sendJson(res, 500, { error: `invalid response from the handler: ${reason}`, code: "ERR_INVALID_RESPONSE" });
    }
    return;
  }
  res.end(body);
}

/** `context.succeed(value)` and plain return values: Express `res.send` semantics, objects as `application/json`. */
export function sendValue(res: ServerResponse, status: number, custom: FunctionHeaders, value: unknown): void {
  let body: string | Uint8Array | undefined;
  let type: string | undefined;
  switch (typeof value) {
    case "string":
      body = value;
      type = HTML_TYPE;
      break;
    case "object":
      if (value === null) break;
      if (ArrayBuffer.isView(value)) {
        body = value instanceof Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
        type = BINARY_TYPE;
        break;
      }
    // Other objects (plain, arrays, class instances) are JSON, like numbers and booleans.
    // falls through
    case "number":
    case "boolean":
    case "bigint":
      try {
        body = JSON.stringify(value);
      } catch (error) {
        sendHandlerError(res, 500, custom, error);
        return;
      }
      type = JSON_TYPE;
      break;
    default:
      // undefined, functions and symbols: an empty answer, as Express sends for undefined.
      break;
  }
  write(res, status, custom, type, false, body);
}

/** `context.fail(value)`: node22's `String(value)` body (Express types strings as HTML); headers are kept. */
export function sendFailure(res: ServerResponse, status: number, custom: FunctionHeaders, value: unknown): void {
  const body = value === undefined || value === null ? "" : String(value);
  write(res, status, custom, HTML_TYPE, false, body);
}

/** A thrown error, rejected promise or `callback(error)`: JSON, the handler's headers kept. */
export function sendHandlerError(res: ServerResponse, status: number, custom: FunctionHeaders, error: unknown): void {
  let message: string;
  let code: string | undefined;
  if (error instanceof Error) {
    message = error.message || error.name;
    const errorCode = (error as { code?: unknown }).code;
    if (typeof errorCode === "string") code = errorCode;
  } else {
    message = String(error);
  }
  write(res, status, custom, JSON_TYPE, true, errorBody(message, code));
}

/** A request refused before the handler ran. */
export function sendRequestError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) return;
  if (error instanceof RequestError) {
    sendJson(res, error.status, { error: error.message, code: error.code });
    return;
  }
  console.error("node-ts-iam: request failed:", error);
  sendJson(res, 500, { error: "internal error while reading the request", code: "ERR_INTERNAL" });
}

/** A JSON answer from the server itself (readiness, routing). */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": JSON_TYPE, "content-length": Buffer.byteLength(body) }).end(body);
}
