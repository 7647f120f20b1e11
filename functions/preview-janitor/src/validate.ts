import { ApiError } from "./errors.js";
import type { ApiRequest } from "./http.js";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Whether `value` is an RFC 1123 label (lower-case alphanumerics and `-`, at most 63 characters). */
export function isDnsLabel(value: unknown): value is string {
  return typeof value === "string" && value.length <= 63 && DNS_LABEL.test(value);
}

/** Returns `value` if it is an RFC 1123 label, else throws 400 `INVALID_NAME`. */
export function requireName(value: string | undefined, what: string): string {
  if (!isDnsLabel(value)) {
    throw new ApiError(400, "INVALID_NAME", `${what} must be an RFC 1123 label (a-z, 0-9, "-", at most 63 characters)`, {
      field: what,
    });
  }
  return value;
}

/** A JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

/**
 * The request body as a JSON object. JSON bodies arrive parsed; a text body (no or a text
 * `Content-Type`, as curl sends without `-H`) is parsed here. Other media types are 415.
 */
export function jsonBody(request: ApiRequest): JsonObject {
  const type = headerValue(request.headers["content-type"]).toLowerCase();
  let body = request.body;
  if (type !== "" && !type.includes("json") && !type.startsWith("text/")) {
    throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json");
  }
  if (Buffer.isBuffer(body)) body = body.toString("utf8");
  if (typeof body === "string") {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      throw new ApiError(400, "INVALID_BODY", "the body is not valid JSON");
    }
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError(400, "INVALID_BODY", "the body must be a JSON object");
  }
  return body as JsonObject;
}

function headerValue(value: string | string[] | undefined): string {
  return Array.isArray(value) ? (value[0] ?? "") : (value ?? "");
}

/** Rejects keys outside `allowed`, so a typo is an error rather than silently ignored. */
export function onlyKeys(body: JsonObject, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new ApiError(400, "INVALID_BODY", `unknown field(s): ${unknown.slice(0, 5).join(", ")}`, { allowedFields: allowed });
  }
}

