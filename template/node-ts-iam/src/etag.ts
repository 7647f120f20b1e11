/**
 * `ETAG=true`: node22's entity tags and conditional GET (Express 5 `res.send` with its default weak
 * ETag, and `req.fresh`), for functions behind a cache that revalidates. Off (the default), none of it
 * runs for an answer and node:crypto is not loaded: no hash per answer.
 */
import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";

type Crypto = typeof import("node:crypto");
let crypto: Crypto | undefined;

/** Express's weak ETag of a body: `W/"<byte length, hex>-<SHA-1, base64, 27 characters>"`. */
export function weakEtag(body: string | Uint8Array): string {
  const length = typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
  // node:crypto loads with the first tag: a server with ETAG off never pays for it.
  const hash = (crypto ??= require("node:crypto") as Crypto).createHash("sha1").update(body).digest("base64").slice(0, 27);
  return `W/"${length.toString(16)}-${hash}"`;
}

/** The value of `name` (lower case) among the handler's headers, whatever their case. */
function header(headers: OutgoingHttpHeaders, name: string): string | undefined {
  for (const key in headers) {
    if (key.length === name.length && key.toLowerCase() === name) {
      const value = headers[key];
      return value === undefined ? undefined : String(Array.isArray(value) ? value[0] : value);
    }
  }
  return undefined;
}

const NO_CACHE = /(?:^|,)\s*?no-cache\s*?(?:,|$)/;

/** Whether `etag` is one of the tags of an If-None-Match list (weak comparison: `W/` ignored on either side). */
function matchesTag(list: string, etag: string): boolean {
  for (const item of list.split(",")) {
    const tag = item.trim();
    if (tag === etag || tag === `W/${etag}` || `W/${tag}` === etag) return true;
  }
  return false;
}

/**
 * The `fresh` test Express applies: the client's copy is current when its If-None-Match names the
 * answer's tag (or is `*`) and its If-Modified-Since is not before the answer's Last-Modified, for the
 * headers it sent; `Cache-Control: no-cache` asks for the answer anyway.
 */
function isFresh(req: IncomingMessage, headers: OutgoingHttpHeaders): boolean {
  const noneMatch = req.headers["if-none-match"];
  const modifiedSince = req.headers["if-modified-since"];
  if (!noneMatch && !modifiedSince) return false;
  const cacheControl = req.headers["cache-control"];
  if (cacheControl && NO_CACHE.test(cacheControl)) return false;
  if (noneMatch && noneMatch !== "*") {
    const etag = header(headers, "etag");
    if (etag === undefined || !matchesTag(noneMatch, etag)) return false;
  }
  if (modifiedSince) {
    const lastModified = header(headers, "last-modified");
    if (lastModified === undefined || !(Date.parse(lastModified) <= Date.parse(modifiedSince))) return false;
  }
  return true;
}

/**
 * Tags an answer as node22 does (unless the handler set an ETag itself) and returns its status: 304
 * when a GET or HEAD with a 2xx answer finds the client's copy current.
 */
export function conditionalStatus(req: IncomingMessage, status: number, headers: OutgoingHttpHeaders, body: string | Uint8Array): number {
  if (header(headers, "etag") === undefined) headers["etag"] = weakEtag(body);
  if (req.method !== "GET" && req.method !== "HEAD") return status;
  if ((status < 200 || status > 299) && status !== 304) return status;
  return isFresh(req, headers) ? 304 : status;
}
