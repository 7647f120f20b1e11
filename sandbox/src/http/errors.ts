/**
 * An error that maps to one HTTP response with a JSON body. Thrown by request handlers and turned
 * into a response by the server; its message never contains a token (callers pass descriptions only).
 */
export class HttpError extends Error {
  /** The HTTP status code to answer with. */
  readonly status: number;
  /** The JSON body sent to the client. */
  readonly body: Record<string, unknown>;
  /** Extra response headers (for example `WWW-Authenticate`). */
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, body?: Record<string, unknown>, headers: Record<string, string> = {}) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.body = body ?? { message };
    this.headers = headers;
  }
}

/** Characters outside the set RFC 6749 §5.2 and RFC 6750 §3 allow in `error_description` (%x20-21 / %x23-5B / %x5D-7E). */
const NOT_IN_DESCRIPTION_SET = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;

/**
 * Makes `text` a valid `error_description` (RFC 6749 §5.2, RFC 6750 §3): `"` becomes `'`, `\`
 * becomes `/`, an ellipsis `...`, and any other character outside the allowed set `?`. Every
 * description passes through here, including untrusted parts quoted into it.
 */
export function errorDescription(text: string): string {
  return text
    .replaceAll('"', "'")
    .replaceAll("\\", "/")
    .replaceAll("\u2026", "...")
    .replace(NOT_IN_DESCRIPTION_SET, "?");
}

/** A 400 with an OAuth 2.0 error body (`error`, `error_description`), as the official SDKs parse it. */
export class OAuthHttpError extends HttpError {
  constructor(error: string, description: string, status = 400) {
    const safe = errorDescription(description);
    super(status, safe, { error, error_description: safe });
    this.name = "OAuthHttpError";
  }
}

/** Shorthand for a JSON `{message}` error. */
export function httpError(status: number, message: string, extra: Record<string, unknown> = {}): HttpError {
  return new HttpError(status, message, { message, ...extra });
}
