/**
 * The error contract of a function's answers (template README, "Errors"): every JSON error answer is
 * `{"code": "<STABLE_CODE>", "message": "<text>"}`, the code SCREAMING_SNAKE and without the `ERR_`
 * prefix, which belongs to JavaScript errors (Node's, the SDK's). The SDK's kit answers the same shape.
 */

/** Codes the server itself answers with. */
export type ServerErrorCode =
  | "MALFORMED_JSON"
  | "MALFORMED_BODY"
  | "BODY_UNREADABLE"
  | "BODY_TOO_LARGE"
  | "TOO_MANY_PARAMETERS"
  | "UNSUPPORTED_CHARSET"
  | "UNSUPPORTED_ENCODING"
  | "INVALID_RESPONSE"
  | "NOT_READY"
  | "ROUTE_NOT_FOUND"
  | "INTERNAL";

/** The body of an error answer. */
export interface ErrorBody {
  readonly code: string;
  readonly message: string;
}

/** A request the server refuses before the handler runs. */
export class RequestError extends Error {
  override readonly name = "RequestError";
  constructor(
    /** HTTP status to answer with (4xx). */
    readonly status: number,
    /** Stable machine-readable code. */
    readonly code: ServerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** SCREAMING_SNAKE: upper-case words of letters and digits joined by single underscores. */
const STABLE_CODE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;

/**
 * The code an error thrown by a handler (or a route of the Express compatibility path) answers with:
 * its own string `code` when that is a stable code the handler chose, else `INTERNAL`. Node's and the
 * SDK's own codes say which library call failed, not what the client did, so they are not passed on:
 * an `ERR_` code (`ERR_INVALID_ARG_TYPE`, the SDK's `ERR_FORBIDDEN`) and the `E...` code of a failed
 * system call (`ENOENT`, recognised by its `syscall`) answer `INTERNAL`. The log line keeps them.
 */
export function errorCodeOf(error: unknown): string {
  if (typeof error !== "object" || error === null) return "INTERNAL";
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  if (typeof code !== "string" || !STABLE_CODE.test(code) || code.startsWith("ERR_") || typeof syscall === "string") return "INTERNAL";
  return code;
}

/** The message of a thrown value: an error's own text (as node22 sends it), else the value as text. */
export function errorMessageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string") {
    return (error as { message: string }).message;
  }
  return String(error);
}

/** The answer body for a thrown value. */
export function thrownErrorBody(error: unknown): ErrorBody {
  return { code: errorCodeOf(error), message: errorMessageOf(error) };
}
