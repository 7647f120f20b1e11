/**
 * The error type of the HTTP API kit: throw an {@link ApiError} anywhere below a route and it becomes
 * one JSON answer `{code, message, ...details}` with its status and headers: the error contract of
 * every function answer, the template server's own included (codes in SCREAMING_SNAKE case, without
 * the `ERR_` prefix of the SDK's JavaScript errors). Where the kit and the server mean the same thing
 * they use the same code (`MALFORMED_JSON`, `ROUTE_NOT_FOUND`, `INTERNAL`).
 */
import { json, type ApiResponse } from "./message.js";

/** Codes the kit's router and request readers answer with. */
export type RequestErrorCode =
  | "ROUTE_NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "INVALID_NAME"
  | "INVALID_BODY"
  | "MALFORMED_JSON"
  | "INVALID_QUERY"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "INTERNAL";

/** Codes `fromGatewayError` maps the SDK's errors to. */
export type GatewayErrorCode =
  | "GATEWAY_FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "GATEWAY_REJECTED"
  | "GATEWAY_AUTH_FAILED"
  | "GATEWAY_UNAVAILABLE"
  | "GATEWAY_TIMEOUT";

/**
 * Every code the kit itself produces. An API declares its own union on top, e.g.
 * `type ErrorCode = CommonErrorCode | "NAMESPACE_NOT_ALLOWED"`, and uses `ApiError<ErrorCode>`.
 */
export type CommonErrorCode = RequestErrorCode | GatewayErrorCode;

/**
 * An error that answers as JSON `{code, message, ...details}`. Clients switch on `code` (stable);
 * `message` is for people and may change. Never put tokens or request bodies into any field.
 * @typeParam Code - the API's error code union (any string by default).
 */
export class ApiError<Code extends string = string> extends Error {
  /** HTTP status of the answer. */
  readonly status: number;
  /** Stable machine-readable code. */
  readonly code: Code;
  /** Extra JSON fields of the answer body (e.g. `field`, `allowed`). */
  readonly details: Readonly<Record<string, unknown>>;
  /** Extra response headers (e.g. `allow` on a 405). */
  readonly headers: Readonly<Record<string, string>>;

  /**
   * @param status - HTTP status of the answer.
   * @param code - stable error code.
   * @param message - human-readable explanation.
   * @param details - extra body fields, merged after `code` and `message`.
   * @param headers - extra response headers.
   */
  constructor(status: number, code: Code, message: string, details: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }

  /** The answer this error stands for. */
  toResponse(): ApiResponse {
    return json(this.status, { code: this.code, message: this.message, ...this.details }, { ...this.headers });
  }
}
