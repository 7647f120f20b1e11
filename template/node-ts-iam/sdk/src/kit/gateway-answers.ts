/**
 * Turns what a gateway call threw into the answer an API gives its own caller. Only the gateway's
 * reason (its response text, already redacted by the SDK) is passed on: SDK messages, which name
 * gateway URLs and paths, are never echoed, and nothing token-shaped gets through.
 */
import { HttpStatusError, OPENFAAS_ERROR_CODES, OpenFaaSError, type OpenFaaSErrorCode } from "../errors.js";
import { redact } from "../redact.js";
import { parseJsonObject } from "../validate.js";
import { ApiError, type GatewayErrorCode } from "./api-error.js";

const SDK_CODES: ReadonlySet<string> = new Set(OPENFAAS_ERROR_CODES);

/** The fields of an SDK error the mapping reads. */
interface SdkErrorFields {
  readonly code: OpenFaaSErrorCode;
  readonly status: number | undefined;
  readonly gatewayMessage: string | undefined;
}

/**
 * The SDK error fields of `error`: by `instanceof` for this SDK's errors, else by a known SDK `code`
 * (an error from another copy of the SDK, or a test double shaped like one).
 */
function sdkFields(error: unknown): SdkErrorFields | undefined {
  if (error instanceof HttpStatusError) return { code: error.code, status: error.status, gatewayMessage: error.gatewayMessage };
  if (error instanceof OpenFaaSError) return { code: error.code, status: undefined, gatewayMessage: undefined };
  if (!(error instanceof Error)) return undefined;
  const { code, status, gatewayMessage } = error as { code?: unknown; status?: unknown; gatewayMessage?: unknown };
  if (typeof code !== "string" || !SDK_CODES.has(code)) return undefined;
  return {
    code: code as OpenFaaSErrorCode,
    status: typeof status === "number" ? status : undefined,
    gatewayMessage: typeof gatewayMessage === "string" ? gatewayMessage : undefined,
  };
}

/**
 * Maps anything a route threw to an {@link ApiError}: an `ApiError` is returned as it is, an SDK
 * error becomes its {@link GatewayErrorCode} answer, anything else a 500 `INTERNAL` without
 * internals.
 *
 * | SDK code | answer |
 * | --- | --- |
 * | `ERR_FORBIDDEN` | 403 `GATEWAY_FORBIDDEN` (with `reason`) |
 * | `ERR_NOT_FOUND` | 404 `NOT_FOUND` |
 * | `ERR_CONFLICT` | 409 `CONFLICT` |
 * | `ERR_UNAUTHORIZED`, `ERR_OAUTH`, `ERR_TOKEN_SOURCE` | 502 `GATEWAY_AUTH_FAILED` (the function's own identity failed) |
 * | `ERR_TIMEOUT` | 504 `GATEWAY_TIMEOUT` |
 * | `ERR_NETWORK`, `ERR_INVALID_RESPONSE`, `ERR_RESPONSE_TOO_LARGE` | 502 `GATEWAY_UNAVAILABLE` |
 * | `ERR_INVALID_ARGUMENT` | 400 `GATEWAY_REJECTED` |
 * | `ERR_UNEXPECTED_STATUS` 400/422 | same status, `GATEWAY_REJECTED`; 409 `CONFLICT`; else 502 `GATEWAY_UNAVAILABLE` |
 */
export function fromGatewayError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const sdk = sdkFields(error);
  if (!sdk) return internalError();
  const reason = gatewayReason(sdk.gatewayMessage);
  const answer = (status: number, code: GatewayErrorCode, message: string, details: Record<string, unknown> = {}): ApiError<GatewayErrorCode> =>
    new ApiError(status, code, message, details);
  switch (sdk.code) {
    case "ERR_FORBIDDEN":
      return answer(403, "GATEWAY_FORBIDDEN", reason ?? "the gateway refused this action for the function's identity", reason ? { reason } : {});
    case "ERR_NOT_FOUND":
      return answer(404, "NOT_FOUND", reason ?? "not found");
    case "ERR_CONFLICT":
      return answer(409, "CONFLICT", reason ?? "already exists");
    case "ERR_UNAUTHORIZED":
    case "ERR_OAUTH":
    case "ERR_TOKEN_SOURCE":
      // The function's own identity failed: a deployment problem, not the caller's fault.
      return answer(502, "GATEWAY_AUTH_FAILED", "the function could not authenticate to the gateway");
    case "ERR_TIMEOUT":
      return answer(504, "GATEWAY_TIMEOUT", "the gateway did not answer in time");
    case "ERR_NETWORK":
      return answer(502, "GATEWAY_UNAVAILABLE", "the gateway could not be reached");
    case "ERR_INVALID_RESPONSE":
      return answer(502, "GATEWAY_UNAVAILABLE", "the gateway sent a malformed answer");
    case "ERR_RESPONSE_TOO_LARGE":
      return answer(502, "GATEWAY_UNAVAILABLE", "the gateway sent a larger answer than the function reads");
    case "ERR_INVALID_ARGUMENT":
      // The SDK's own argument check: the API's validation should have caught it first.
      return answer(400, "GATEWAY_REJECTED", "the request has an argument the gateway would reject");
    case "ERR_UNEXPECTED_STATUS": {
      const status = sdk.status ?? 502;
      if (status === 400 || status === 422) return answer(status, "GATEWAY_REJECTED", reason ?? "the gateway rejected the request");
      if (status === 409) return answer(409, "CONFLICT", reason ?? "conflict");
      return answer(502, "GATEWAY_UNAVAILABLE", `the gateway answered ${status}`);
    }
    default:
      // Every code is mapped above, and the compiler checks it: a code added to the SDK's errors
      // cannot fall through to a 500 unnoticed.
      sdk.code satisfies never;
      return internalError();
  }
}

function internalError(): ApiError<"INTERNAL"> {
  return new ApiError(500, "INTERNAL", "internal error");
}

/** The gateway's reason: its body text, or the `message`/`error` field when the body is JSON. */
function gatewayReason(message: string | undefined): string | undefined {
  const trimmed = message?.trim();
  if (!trimmed) return undefined;
  // A JSON object gives its `message` (else `error`) field; any other text is the reason itself.
  const parsed = parseJsonObject(trimmed);
  const field = typeof parsed?.message === "string" ? parsed.message : typeof parsed?.error === "string" ? parsed.error : undefined;
  const reason = field || trimmed;
  // The SDK redacts gateway text already; this also covers errors that did not come through it.
  return redact(reason).slice(0, 500);
}

/**
 * Whether `error` is an SDK error with this code (by `instanceof`, or by `code` for an error shaped
 * like one), e.g. `hasErrorCode(error, "ERR_NOT_FOUND")` to treat a missing object as absent.
 */
export function hasErrorCode(error: unknown, code: OpenFaaSErrorCode): boolean {
  return sdkFields(error)?.code === code;
}
