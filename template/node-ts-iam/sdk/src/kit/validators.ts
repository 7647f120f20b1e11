/**
 * Readers and validators for an {@link ApiRequest}: names, the JSON body and its fields, query
 * parameters. Each one either returns a typed value or throws a 4xx {@link ApiError} that says what
 * was wrong (and, in `field`, where), so a route reads like its happy path.
 */
import { isLabel } from "../validate.js";
import { ApiError } from "./api-error.js";
import type { ApiRequest } from "./message.js";

/** A JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

/**
 * Whether `value` is an RFC 1123 label (lower-case alphanumerics and `-`, at most 63 characters):
 * the rule for function, namespace and (most) secret names, the same check the SDK's client applies.
 */
export function isDnsLabel(value: unknown): value is string {
  return typeof value === "string" && isLabel(value);
}

/**
 * Returns `value` if it is an RFC 1123 label, else throws 400 `INVALID_NAME`.
 * @param what - how the name is called in the message and the `field` detail, e.g. `"function name"`.
 */
export function requireName(value: string | undefined, what: string): string {
  if (!isDnsLabel(value)) {
    throw new ApiError(400, "INVALID_NAME", `${what} must be an RFC 1123 label (a-z, 0-9, "-", at most 63 characters)`, {
      field: what,
    });
  }
  return value;
}

/** Options of {@link jsonBody}. */
export interface JsonBodyOptions {
  /**
   * Treat a missing or empty body as `{}` (default false: an empty body is invalid JSON), when it
   * comes with no `Content-Type`, a JSON one or a `text/*` one. For endpoints whose callers (the
   * cron-connector, for one) send nothing: an empty body carries no data whatever it is labelled.
   */
  emptyAsObject?: boolean;
}

/**
 * Whether a `Content-Type` value names JSON: `application/json` or a `+json` structured syntax
 * suffix (RFC 6839, e.g. `application/merge-patch+json`), parameters aside.
 */
function isJsonMediaType(contentType: string): boolean {
  const essence = contentType.split(";")[0]!.trim().toLowerCase();
  return essence === "application/json" || /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+\+json$/.test(essence);
}

/**
 * The request body as a JSON object, read only when `Content-Type` names JSON
 * ({@link isJsonMediaType}). Anything else, a missing type included, is 415
 * `UNSUPPORTED_MEDIA_TYPE`: a browser sends `text/plain`, form and untyped bodies cross-site without
 * asking first (a CORS "simple request"), so a JSON API that parsed them would act on requests
 * another site's page made. Text that does not parse (a body read raw) is 400 `MALFORMED_JSON`, as
 * the template server answers for a JSON body it cannot parse; anything but a JSON object is 400
 * `INVALID_BODY`.
 */
export function jsonBody(request: ApiRequest, options: JsonBodyOptions = {}): JsonObject {
  const type = headerValue(request.headers["content-type"]);
  let body = request.body;
  const json = isJsonMediaType(type);
  if (options.emptyAsObject && isEmpty(body) && (type === "" || json || type.trim().toLowerCase().startsWith("text/"))) return {};
  if (!json) {
    throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "send the body as JSON with Content-Type: application/json", { allowed: ["application/json", "*/*+json"] });
  }
  if (body === undefined) {
    // The template server parses application/json itself and leaves other types unread (as node22 does).
    throw new ApiError(400, "INVALID_BODY", "the body is missing, or was not read: send it as application/json (other +json types are read only with RAW_BODY=true)");
  }
  if (Buffer.isBuffer(body)) body = body.toString("utf8");
  if (typeof body === "string") {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      // The template server's code for the same failure, when it parses the body itself.
      throw new ApiError(400, "MALFORMED_JSON", "the body is not valid JSON");
    }
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError(400, "INVALID_BODY", "the body must be a JSON object");
  }
  return body as JsonObject;
}

function isEmpty(body: unknown): boolean {
  return body === undefined || body === null || body === "" || (Buffer.isBuffer(body) && body.length === 0);
}

/** The first value of a header (Node gives repeated headers as arrays); `""` when absent. */
function headerValue(value: string | string[] | undefined): string {
  return Array.isArray(value) ? (value[0] ?? "") : (value ?? "");
}

/** Rejects keys outside `allowed` with 400 `INVALID_BODY`, so a typo is an error rather than silently ignored. */
export function onlyKeys(body: JsonObject, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new ApiError(400, "INVALID_BODY", `unknown field(s): ${unknown.slice(0, 5).join(", ")}`, { allowedFields: allowed });
  }
}

/** An optional string field of at most `maxLength` characters; otherwise 400 `INVALID_BODY`. */
export function optionalString(body: JsonObject, key: string, maxLength: number): string | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length > maxLength) {
    throw new ApiError(400, "INVALID_BODY", `${key} must be a string of at most ${maxLength} characters`, { field: key });
  }
  return value;
}

/**
 * An optional map of string to string (labels, annotations, envVars): at most `maxEntries` entries,
 * keys of 1 to 253 characters, values of at most 16 KiB characters; otherwise 400 `INVALID_BODY`.
 */
export function optionalStringMap(body: JsonObject, key: string, maxEntries = 64): Record<string, string> | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  const fail = (): never => {
    throw new ApiError(400, "INVALID_BODY", `${key} must be an object of string values (at most ${maxEntries} entries)`, { field: key });
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail();
  const entries = Object.entries(value as JsonObject);
  if (entries.length > maxEntries) return fail();
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (k.length === 0 || k.length > 253 || typeof v !== "string" || v.length > 16_384) return fail();
    out[k] = v;
  }
  return out;
}

/** An optional array of at most `maxItems` strings, each accepted by `valid`; otherwise 400 `INVALID_BODY`. */
export function optionalStringArray(body: JsonObject, key: string, valid: (item: string) => boolean, maxItems = 64): string[] | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > maxItems || !value.every((v) => typeof v === "string" && valid(v))) {
    throw new ApiError(400, "INVALID_BODY", `${key} must be an array of valid strings (at most ${maxItems})`, { field: key });
  }
  return value as string[];
}

/** A single query parameter (the first if repeated); `undefined` when absent. */
export function queryParam(request: ApiRequest, key: string): string | undefined {
  const value = request.query[key];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * An integer query parameter from `min` to `max`; absent or empty gives `fallback`. Anything else
 * (signs, fractions, out of range) is 400 `INVALID_QUERY`.
 */
export function intQuery(request: ApiRequest, key: string, min: number, max: number, fallback: number): number {
  const raw = queryParam(request, key);
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ApiError(400, "INVALID_QUERY", `${key} must be an integer from ${min} to ${max}`, { field: key });
  }
  return Number(raw);
}
