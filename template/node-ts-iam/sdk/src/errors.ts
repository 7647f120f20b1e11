/**
 * Typed errors with stable codes. Every error the SDK throws (apart from an abort reason the caller
 * supplied) is an {@link OpenFaaSError}; callers branch on `code` or `instanceof`.
 *
 * None of them ever holds a token: messages are built from method, path, status and the redacted
 * gateway text, and causes are {@link SafeCause} copies of the original error.
 */
import type { SafeCause } from "./redact.js";

/** @internal Every stable error code, at run time (the one list {@link OpenFaaSErrorCode} comes from). */
export const OPENFAAS_ERROR_CODES = [
  "ERR_UNAUTHORIZED",
  "ERR_FORBIDDEN",
  "ERR_NOT_FOUND",
  "ERR_CONFLICT",
  "ERR_UNEXPECTED_STATUS",
  "ERR_NETWORK",
  "ERR_TIMEOUT",
  "ERR_OAUTH",
  "ERR_TOKEN_SOURCE",
  "ERR_INVALID_RESPONSE",
  "ERR_RESPONSE_TOO_LARGE",
  "ERR_INVALID_ARGUMENT",
] as const;

/** Every stable error code the SDK uses. */
export type OpenFaaSErrorCode = (typeof OPENFAAS_ERROR_CODES)[number];

/** Base class of every SDK error. */
export class OpenFaaSError extends Error {
  /** Stable machine-readable code, e.g. `ERR_NOT_FOUND`. */
  readonly code: OpenFaaSErrorCode;
  /** @internal */
  constructor(code: OpenFaaSErrorCode, message: string, cause?: SafeCause) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** Where an HTTP-level error happened. */
export interface RequestSite {
  /** HTTP method. */
  readonly method: string;
  /** URL path, without query string. */
  readonly path: string;
}

/** An error response from the gateway (or from the token endpoint). */
export class HttpStatusError extends OpenFaaSError {
  /** HTTP method of the failed request. */
  readonly method: string;
  /** Path of the failed request, without query string. */
  readonly path: string;
  /** HTTP status code. */
  readonly status: number;
  /** The response body as text (redacted, truncated); empty when there was none. */
  readonly gatewayMessage: string;
  /** Delay the server asked for with `Retry-After`, in milliseconds, when it sent one. */
  readonly retryAfterMs: number | undefined;
  /** @internal */
  constructor(code: OpenFaaSErrorCode, site: RequestSite, status: number, gatewayMessage: string, retryAfterMs?: number, message?: string) {
    super(code, message ?? `${site.method} ${site.path}: HTTP ${status}${gatewayMessage ? `: ${gatewayMessage}` : ""}`);
    this.method = site.method;
    this.path = site.path;
    this.status = status;
    this.gatewayMessage = gatewayMessage;
    this.retryAfterMs = retryAfterMs;
  }
}

/** 401: the credential was missing, invalid or expired (after the SDK's single replay). */
export class UnauthorizedError extends HttpStatusError {
  /** @internal */
  constructor(site: RequestSite, status: number, gatewayMessage: string, retryAfterMs?: number) {
    super("ERR_UNAUTHORIZED", site, status, gatewayMessage, retryAfterMs);
  }
}

/** 403: the identity is known but its policies do not allow the action. */
export class ForbiddenError extends HttpStatusError {
  /** @internal */
  constructor(site: RequestSite, status: number, gatewayMessage: string, retryAfterMs?: number) {
    super("ERR_FORBIDDEN", site, status, gatewayMessage, retryAfterMs);
  }
}

/** 404: the function, namespace, secret or route does not exist. */
export class NotFoundError extends HttpStatusError {
  /** @internal */
  constructor(site: RequestSite, status: number, gatewayMessage: string, retryAfterMs?: number) {
    super("ERR_NOT_FOUND", site, status, gatewayMessage, retryAfterMs);
  }
}

/** 409: the object already exists or changed concurrently. */
export class ConflictError extends HttpStatusError {
  /** @internal */
  constructor(site: RequestSite, status: number, gatewayMessage: string, retryAfterMs?: number) {
    super("ERR_CONFLICT", site, status, gatewayMessage, retryAfterMs);
  }
}

/** Any other non-2xx status (400, 422, 5xx, ...); check `status`. */
export class UnexpectedStatusError extends HttpStatusError {
  /** @internal */
  constructor(site: RequestSite, status: number, gatewayMessage: string, retryAfterMs?: number) {
    super("ERR_UNEXPECTED_STATUS", site, status, gatewayMessage, retryAfterMs);
  }
}

/** An OAuth error response (`{"error", "error_description"}`) from a token endpoint, on any 4xx. */
export class OAuthError extends HttpStatusError {
  /** OAuth `error` code, e.g. `invalid_request`, `invalid_grant`. */
  readonly error: string;
  /** OAuth `error_description`, redacted; empty when absent. */
  readonly errorDescription: string;
  /** @internal */
  constructor(site: RequestSite, status: number, error: string, errorDescription: string, retryAfterMs?: number) {
    const text = errorDescription ? `${error}: ${errorDescription}` : error;
    super("ERR_OAUTH", site, status, text, retryAfterMs, `${site.method} ${site.path}: OAuth error ${text} (HTTP ${status})`);
    this.error = error;
    this.errorDescription = errorDescription;
  }
}

/** The request failed below HTTP: refused, reset, DNS, TLS. */
export class NetworkError extends OpenFaaSError {
  /** HTTP method of the failed request. */
  readonly method: string;
  /** Path of the failed request, without query string. */
  readonly path: string;
  /** `false` only when the request provably never reached the server (e.g. connection refused). */
  readonly reachedServer: boolean;
  /** @internal */
  constructor(site: RequestSite, reachedServer: boolean, cause: SafeCause) {
    super("ERR_NETWORK", `${site.method} ${site.path}: network error${cause.code ? ` ${cause.code}` : ""}: ${cause.message}`, cause);
    this.method = site.method;
    this.path = site.path;
    this.reachedServer = reachedServer;
  }
}

/** The call (or the token exchange it needed) did not finish within its timeout. */
export class TimeoutError extends OpenFaaSError {
  /** HTTP method of the request that timed out. */
  readonly method: string;
  /** Path of the request that timed out, without query string. */
  readonly path: string;
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;
  /** @internal */
  constructor(site: RequestSite, timeoutMs: number) {
    super("ERR_TIMEOUT", `${site.method} ${site.path}: timed out after ${timeoutMs} ms`);
    this.method = site.method;
    this.path = site.path;
    this.timeoutMs = timeoutMs;
  }
}

/** A token source could not produce a usable subject token (missing, empty, not a JWT, ...). */
export class TokenSourceError extends OpenFaaSError {
  /** @internal */
  constructor(message: string, cause?: SafeCause) {
    super("ERR_TOKEN_SOURCE", message, cause);
  }
}

/**
 * A response the SDK cannot use: a 2xx body without the documented shape (`ERR_INVALID_RESPONSE`),
 * or a body or log line longer than the SDK reads (`ERR_RESPONSE_TOO_LARGE`, with `limitBytes`;
 * the connection was dropped at the limit).
 */
export class InvalidResponseError extends OpenFaaSError {
  /** HTTP method of the request. */
  readonly method: string;
  /** Path of the request, without query string. */
  readonly path: string;
  /** HTTP status of the malformed response. */
  readonly status: number;
  /** The limit that was exceeded, in bytes (only with `ERR_RESPONSE_TOO_LARGE`). */
  readonly limitBytes: number | undefined;
  /** @internal */
  constructor(site: RequestSite, status: number, problem: string, limitBytes?: number) {
    super(
      limitBytes === undefined ? "ERR_INVALID_RESPONSE" : "ERR_RESPONSE_TOO_LARGE",
      `${site.method} ${site.path}: invalid response (HTTP ${status}): ${problem}`,
    );
    this.method = site.method;
    this.path = site.path;
    this.status = status;
    this.limitBytes = limitBytes;
  }
}

/** @internal A body (or log line) over the SDK's limit: never quoted, only measured. */
export function responseTooLarge(site: RequestSite, status: number, what: string, limitBytes: number): InvalidResponseError {
  return new InvalidResponseError(site, status, `${what} is larger than ${limitBytes} bytes`, limitBytes);
}

/** A method was called with an argument the gateway would reject (e.g. a name that is not an RFC 1123 label). */
export class InvalidArgumentError extends OpenFaaSError {
  /** @internal */
  constructor(message: string) {
    super("ERR_INVALID_ARGUMENT", message);
  }
}

/** Maps a non-2xx status to its typed error. */
export function statusError(site: RequestSite, status: number, gatewayMessage: string, retryAfterMs?: number): HttpStatusError {
  switch (status) {
    case 401:
      return new UnauthorizedError(site, status, gatewayMessage, retryAfterMs);
    case 403:
      return new ForbiddenError(site, status, gatewayMessage, retryAfterMs);
    case 404:
      return new NotFoundError(site, status, gatewayMessage, retryAfterMs);
    case 409:
      return new ConflictError(site, status, gatewayMessage, retryAfterMs);
    default:
      return new UnexpectedStatusError(site, status, gatewayMessage, retryAfterMs);
  }
}

/** @internal Checks a timeout option: a positive number of milliseconds (`Infinity` only where `allowInfinite`). */
export function checkTimeout(value: number | undefined, name: string, allowInfinite: boolean): void {
  checkPositive(value, name, "milliseconds", allowInfinite);
}

/** @internal Checks a size limit option: a positive whole number of bytes (`Infinity` only where `allowInfinite`). */
export function checkBytes(value: number | undefined, name: string, allowInfinite: boolean): void {
  if (value !== undefined && Number.isFinite(value) && !Number.isInteger(value)) throw new InvalidArgumentError(`${name} must be a whole number of bytes`);
  checkPositive(value, name, "bytes", allowInfinite);
}

function checkPositive(value: number | undefined, name: string, unit: string, allowInfinite: boolean): void {
  if (value === undefined) return;
  const ok = typeof value === "number" && value > 0 && (Number.isFinite(value) || (allowInfinite && value === Infinity));
  if (!ok) throw new InvalidArgumentError(`${name} must be a positive number of ${unit}${allowInfinite ? " (or Infinity)" : ""}`);
}
