/**
 * node22's body rules (Express 5 + body-parser 2), applied without Express:
 * - no `Content-Type` → treated as `text/plain`;
 * - `RAW_BODY=true` → every body is a Buffer (limit `MAX_RAW_SIZE`);
 * - `text/*` → string (100kb); `application/json` → parsed value, strict (object or array; empty → `{}`;
 *   limit `MAX_JSON_SIZE`); `application/x-www-form-urlencoded` → object (extended `qs`, 100kb);
 * - any other type, and a request without a body → `undefined` (the body is left unread).
 * Refusals are `RequestError`s: 400 malformed, 413 too large, 415 unsupported charset/encoding.
 */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { decode, isSupportedCharset } from "./charset.js";
import type { ServerConfig } from "./config.js";
import { parseMediaType } from "./media-type.js";
import { readBody, type BodyLimit } from "./read-body.js";
import { RequestError } from "./request-error.js";
import { parseUrlencoded } from "./urlencoded.js";

/** Settings the body rules depend on. */
export type BodyConfig = Pick<ServerConfig, "rawBody" | "maxRawSize" | "maxJsonSize" | "maxTextSize">;

/** body-parser's test for "this request has a body" (type-is `hasBody`). */
function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers["transfer-encoding"] !== undefined || !Number.isNaN(Number(headers["content-length"] ?? NaN));
}

function unsupportedCharset(charset: string): RequestError {
  return new RequestError(415, "ERR_UNSUPPORTED_CHARSET", `unsupported charset "${charset.toUpperCase()}"`);
}

function isJsonWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** JSON.parse with body-parser's strict rule; errors give the position, never the body text. */
export function parseStrictJson(text: string): unknown {
  if (text.length === 0) return {};
  let i = 0;
  while (i < text.length && isJsonWhitespace(text.charCodeAt(i))) i++;
  const first = text[i];
  if (first !== "{" && first !== "[") {
    throw new RequestError(400, "ERR_MALFORMED_JSON", "malformed JSON body: expected an object or an array");
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec(error instanceof Error ? error.message : "")?.[1];
    const where = position === undefined ? "" : ` at position ${position}`;
    throw new RequestError(400, "ERR_MALFORMED_JSON", `malformed JSON body${where}`);
  }
}

/**
 * Starts reading and parsing the body of `req`; `undefined` means there is nothing to read and
 * `event.body` is `undefined` (kept synchronous so bodiless requests allocate no promise).
 */
export function parseBody(req: IncomingMessage, headers: IncomingHttpHeaders, config: BodyConfig): Promise<unknown> | undefined {
  if (!hasBody(headers)) return undefined;
  const media = parseMediaType(headers["content-type"] || "text/plain");
  if (media === undefined) return undefined;

  if (config.rawBody) return readBody(req, { bytes: config.maxRawSize, setting: "MAX_RAW_SIZE" });

  const { type } = media;
  if (type === "application/json") {
    const charset = media.charset ?? "utf-8";
    if (!charset.startsWith("utf-") || !isSupportedCharset(charset)) return refuse(req, unsupportedCharset(charset));
    return readBody(req, { bytes: config.maxJsonSize, setting: "MAX_JSON_SIZE" }).then((bytes) =>
      parseStrictJson(decode(bytes, charset)),
    );
  }
  if (type.startsWith("text/")) {
    const charset = media.charset ?? "utf-8";
    if (!isSupportedCharset(charset)) return refuse(req, unsupportedCharset(charset));
    return readBody(req, textLimit(config)).then((bytes) => decode(bytes, charset));
  }
  if (type === "application/x-www-form-urlencoded") {
    const charset = media.charset ?? "utf-8";
    if (charset !== "utf-8" && charset !== "iso-8859-1") return refuse(req, unsupportedCharset(charset));
    return readBody(req, textLimit(config)).then((bytes) => parseUrlencoded(decode(bytes, charset), charset));
  }
  return undefined;
}

function textLimit(config: BodyConfig): BodyLimit {
  return { bytes: config.maxTextSize, setting: "the 100kb text limit" };
}

function refuse(req: IncomingMessage, error: RequestError): Promise<never> {
  req.resume();
  return Promise.reject(error);
}
