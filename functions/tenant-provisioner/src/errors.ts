import { json, type ApiResponse } from "./http.js";

/**
 * Stable error codes of the API. Clients switch on `code`; `message` is for people and may change.
 */
export type ErrorCode =
  | "ROUTE_NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "INVALID_NAME"
  | "INVALID_BODY"
  | "INVALID_QUERY"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "TENANT_NOT_FOUND"
  | "TENANT_NOT_MANAGED"
  | "INJECTED_FAULT"
  | "GATEWAY_FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "GATEWAY_REJECTED"
  | "GATEWAY_AUTH_FAILED"
  | "GATEWAY_UNAVAILABLE"
  | "GATEWAY_TIMEOUT"
  | "INTERNAL";

/** An error that becomes one JSON response `{code, message, ...details}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The response this error answers with. */
  toResponse(): ApiResponse {
    return json(this.status, { code: this.code, message: this.message, ...this.details }, this.headers);
  }
}

/** The fields of an `@node-ts-iam/sdk` error the API relies on (checked structurally). */
interface GatewayErrorShape {
  readonly code: string;
  readonly status?: number;
  readonly gatewayMessage?: string;
}

function isGatewayError(error: unknown): error is Error & GatewayErrorShape {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "string";
}

/**
 * Maps an SDK error to the API's answer. Only the gateway's own reason is passed on: SDK messages
 * are not echoed, so nothing the SDK put into them (URLs, internals) reaches the caller.
 */
export function fromGatewayError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (!isGatewayError(error)) return new ApiError(500, "INTERNAL", "internal error");
  const reason = cleanReason(error.gatewayMessage);
  switch (error.code) {
    case "ERR_FORBIDDEN":
      return new ApiError(403, "GATEWAY_FORBIDDEN", reason ?? "the gateway refused this action for the function's identity", reason ? { reason } : {});
    case "ERR_NOT_FOUND":
      return new ApiError(404, "NOT_FOUND", reason ?? "not found");
    case "ERR_CONFLICT":
      return new ApiError(409, "CONFLICT", reason ?? "already exists");
    case "ERR_UNAUTHORIZED":
    case "ERR_OAUTH":
    case "ERR_TOKEN_SOURCE":
      // The function's own identity failed: a deployment problem, not the caller's fault.
      return new ApiError(502, "GATEWAY_AUTH_FAILED", "the function could not authenticate to the gateway");
    case "ERR_TIMEOUT":
      return new ApiError(504, "GATEWAY_TIMEOUT", "the gateway did not answer in time");
    case "ERR_NETWORK":
      return new ApiError(502, "GATEWAY_UNAVAILABLE", "the gateway could not be reached");
    case "ERR_INVALID_RESPONSE":
      return new ApiError(502, "GATEWAY_UNAVAILABLE", "the gateway sent a malformed answer");
    case "ERR_INVALID_ARGUMENT":
      // The SDK's own argument check: our validation should have caught it first.
      return new ApiError(400, "GATEWAY_REJECTED", "the request has an argument the gateway would reject");
    case "ERR_UNEXPECTED_STATUS": {
      const status = error.status ?? 502;
      if (status === 400 || status === 422) return new ApiError(status, "GATEWAY_REJECTED", reason ?? "the gateway rejected the request");
      if (status === 409) return new ApiError(409, "CONFLICT", reason ?? "conflict");
      return new ApiError(502, "GATEWAY_UNAVAILABLE", `the gateway answered ${status}`);
    }
    default:
      return new ApiError(500, "INTERNAL", "internal error");
  }
}

/** The gateway's reason: its body text, or the `message`/`error` field when the body is JSON. */
function cleanReason(message: string | undefined): string | undefined {
  const trimmed = message?.trim();
  if (!trimmed) return undefined;
  try {
    const parsed = JSON.parse(trimmed) as unknown;
    if (typeof parsed === "object" && parsed !== null) {
      const { message: text, error } = parsed as { message?: unknown; error?: unknown };
      const reason = typeof text === "string" ? text : typeof error === "string" ? error : undefined;
      if (reason) return reason.slice(0, 500);
    }
  } catch {
    // not JSON: the text itself is the reason
  }
  return trimmed.slice(0, 500);
}
