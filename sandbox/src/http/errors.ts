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

/** A 400 with an OAuth 2.0 error body (`error`, `error_description`), as the official SDKs parse it. */
export class OAuthHttpError extends HttpError {
  constructor(error: string, description: string, status = 400) {
    super(status, description, { error, error_description: description });
    this.name = "OAuthHttpError";
  }
}

/** Shorthand for a JSON `{message}` error. */
export function httpError(status: number, message: string, extra: Record<string, unknown> = {}): HttpError {
  return new HttpError(status, message, { message, ...extra });
}
