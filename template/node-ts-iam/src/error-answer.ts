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

/** What a client reads in place of the text of Node's and libraries' own errors (the kit's words for it too). */
export const WITHHELD_MESSAGE = "internal error";

/**
 * Whether a thrown value is Node's or a library's own error: an `ERR_` code (`ERR_INVALID_ARG_TYPE`, the
 * SDK's `ERR_FORBIDDEN`) or a failed system call (`ENOENT`, recognised by its `syscall`). Its code and
 * text say how a call inside the function failed, with file paths and internal names, not what the
 * client did: neither is answered, the log line keeps both.
 */
function isRuntimeError(error: object): boolean {
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  return typeof syscall === "string" || (typeof code === "string" && code.startsWith("ERR_"));
}

/**
 * The code an error thrown by a handler (or a route of the Express compatibility path) answers with:
 * its own string `code` when that is a stable code the handler chose, else `INTERNAL` (always for
 * Node's and libraries' own errors, see isRuntimeError).
 */
export function errorCodeOf(error: unknown): string {
  if (typeof error !== "object" || error === null) return "INTERNAL";
  const { code } = error as { code?: unknown };
  if (typeof code !== "string" || !STABLE_CODE.test(code) || isRuntimeError(error)) return "INTERNAL";
  return code;
}

/**
 * The message of a thrown value: an error's own text (as node22 sends it), else the value as text;
 * {@link WITHHELD_MESSAGE} for Node's and libraries' own errors.
 */
export function errorMessageOf(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    if (isRuntimeError(error)) return WITHHELD_MESSAGE;
    if (error instanceof Error) return error.message || error.name;
    const { message } = error as { message?: unknown };
    if (typeof message === "string") return message;
  }
  return safeString(error);
}

/** `String(value)`, or a placeholder for the values it throws on (an object without a prototype, say). */
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return "unprintable value";
  }
}

/**
 * The body of `fail(value)`: node22's `String(value)`, except for Node's and libraries' own errors,
 * whose text is withheld as in a thrown error's answer.
 */
export function failureText(value: unknown): string {
  if (typeof value === "object" && value !== null && isRuntimeError(value)) return WITHHELD_MESSAGE;
  return safeString(value);
}

/** The answer body for a thrown value. */
export function thrownErrorBody(error: unknown): ErrorBody {
  return { code: errorCodeOf(error), message: errorMessageOf(error) };
}
