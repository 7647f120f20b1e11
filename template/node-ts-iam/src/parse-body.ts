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
import { RequestError } from "./error-answer.js";
import { discardRest, readBody, type BodyCallback, type BodyLimit } from "./read-body.js";
import type { ServerSettings } from "./settings.js";
import { parseUrlencoded } from "./urlencoded.js";

/** Settings the body rules depend on. */
export type BodySettings = Pick<ServerSettings, "rawBody" | "maxRawSize" | "maxJsonSize" | "maxTextSize">;

/** A parsed `Content-Type`: lower-cased `type/subtype` and the `charset` parameter, if any. */
interface MediaType {
  readonly type: string;
  readonly charset: string | undefined;
}

const TYPE_SUBTYPE = /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/;
const CHARSET_PARAM = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i;

/**
 * Parses a `Content-Type` value, as leniently as type-is/content-type where that matters for choosing
 * a parser; `undefined` when it is not a media type (node22 then leaves the body unparsed).
 */
function parseMediaType(header: string): MediaType | undefined {
  // A function's callers mostly send one Content-Type, so the last answer is kept (its value is immutable).
  if (header === lastHeader) return lastMedia;
  const semi = header.indexOf(";");
  const type = (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
  let media: MediaType | undefined;
  if (!TYPE_SUBTYPE.test(type)) media = undefined;
  else if (semi === -1) media = { type, charset: undefined };
  else {
    const match = CHARSET_PARAM.exec(header.slice(semi));
    const charset = match ? (match[1] ?? match[2] ?? "").toLowerCase() : undefined;
    media = { type, charset: charset || undefined };
  }
  lastHeader = header;
  lastMedia = media;
  return media;
}

let lastHeader: string | undefined;
let lastMedia: MediaType | undefined;

// The charsets node22 (iconv-lite) accepts in practice: UTF-8 and Latin-1 by hand, the rest through TextDecoder.
const UTF8 = new Set(["utf-8", "utf8"]);
const LATIN1 = new Set(["iso-8859-1", "latin1", "l1", "iso8859-1"]);

/** Whether `decode` can handle the charset. */
function isSupportedCharset(charset: string): boolean {
  if (UTF8.has(charset) || LATIN1.has(charset)) return true;
  try {
    new TextDecoder(charset);
    return true;
  } catch {
    return false;
  }
}

/** Decodes `bytes` (a leading UTF-8 byte order mark is dropped, as iconv-lite does). */
function decode(bytes: Buffer, charset: string): string {
  if (UTF8.has(charset)) {
    const hasBom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
    return bytes.toString("utf8", hasBom ? 3 : 0);
  }
  if (LATIN1.has(charset)) return bytes.toString("latin1");
  return new TextDecoder(charset).decode(bytes);
}

/** body-parser's test for "this request has a body" (type-is `hasBody`). */
function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers["transfer-encoding"] !== undefined || !Number.isNaN(Number(headers["content-length"] ?? NaN));
}

function unsupportedCharset(charset: string): RequestError {
  return new RequestError(415, "UNSUPPORTED_CHARSET", `unsupported charset "${charset.toUpperCase()}"`);
}

function isJsonWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** JSON.parse with body-parser's strict rule; errors give the position, never the body text. */
function parseStrictJson(text: string): unknown {
  if (text.length === 0) return {};
  let i = 0;
  while (i < text.length && isJsonWhitespace(text.charCodeAt(i))) i++;
  const first = text[i];
  if (first !== "{" && first !== "[") {
    throw new RequestError(400, "MALFORMED_JSON", "malformed JSON body: expected an object or an array");
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec(error instanceof Error ? error.message : "")?.[1];
    const where = position === undefined ? "" : ` at position ${position}`;
    throw new RequestError(400, "MALFORMED_JSON", `malformed JSON body${where}`);
  }
}

/**
 * Reads and parses the body of `req`, then calls `done` with the value for `event.body` or with the
 * `RequestError` that refuses the request; a request with nothing to read gets `undefined` at once.
 */
export function parseBody(req: IncomingMessage, headers: IncomingHttpHeaders, settings: BodySettings, done: BodyCallback<unknown>): void {
  if (!hasBody(headers)) return done(undefined, undefined);
  const media = parseMediaType(headers["content-type"] || "text/plain");
  if (media === undefined) return done(undefined, undefined);

  if (settings.rawBody) return readBody(req, { bytes: settings.maxRawSize, setting: "MAX_RAW_SIZE" }, asBytes, done);

  const { type } = media;
  if (type === "application/json") {
    const charset = media.charset ?? "utf-8";
    if (!charset.startsWith("utf-") || !isSupportedCharset(charset)) return refuse(req, unsupportedCharset(charset), done);
    return readBody(req, { bytes: settings.maxJsonSize, setting: "MAX_JSON_SIZE" }, charset === "utf-8" ? parseUtf8Json : (bytes) => parseStrictJson(decode(bytes, charset)), done);
  }
  if (type.startsWith("text/")) {
    const charset = media.charset ?? "utf-8";
    if (!isSupportedCharset(charset)) return refuse(req, unsupportedCharset(charset), done);
    return readBody(req, textLimit(settings), (bytes) => decode(bytes, charset), done);
  }
  if (type === "application/x-www-form-urlencoded") {
    const charset = media.charset ?? "utf-8";
    if (charset !== "utf-8" && charset !== "iso-8859-1") return refuse(req, unsupportedCharset(charset), done);
    return readBody(req, textLimit(settings), (bytes) => parseUrlencoded(decode(bytes, charset), charset), done);
  }
  done(undefined, undefined);
}

const asBytes = (bytes: Buffer): Buffer => bytes;
/** The common JSON case without a closure per request. */
const parseUtf8Json = (bytes: Buffer): unknown => parseStrictJson(decode(bytes, "utf-8"));

function textLimit(settings: BodySettings): BodyLimit {
  return { bytes: settings.maxTextSize, setting: "the 100kb text limit" };
}

function refuse(req: IncomingMessage, error: RequestError, done: BodyCallback<unknown>): void {
  discardRest(req, () => done(error));
}
