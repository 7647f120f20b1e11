/**
 * The request and response shapes of the HTTP API kit. They are plain data, independent of the
 * template's handler contract, so that an API's routing and validation can be unit-tested by
 * calling it with an object literal, without a server.
 */

/**
 * What an API needs from an incoming request. A template `FunctionEvent` is one, so a handler can
 * pass its event unchanged.
 */
export interface ApiRequest {
  /** HTTP method (compared upper-cased by the router). */
  readonly method: string;
  /** Request path without the query string, as sent (not percent-decoded). */
  readonly path: string;
  /** Parsed query string; repeated keys are arrays. */
  readonly query: Readonly<Record<string, string | string[] | undefined>>;
  /** Request headers with lower-case names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body as the template parsed it (object for JSON, string for text, Buffer when raw). */
  readonly body: unknown;
}

/** An answer: status, headers and a JSON-serialisable body. */
export interface ApiResponse {
  /** HTTP status code. */
  readonly status: number;
  /** Response headers. */
  readonly headers: Record<string, string>;
  /** The body, sent as JSON. */
  readonly body: unknown;
}

/** An API: one async function from request to answer. */
export type Api = (request: ApiRequest) => Promise<ApiResponse>;

/** The `Content-Type` of every answer built by {@link json}. */
const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

/**
 * Builds a JSON answer.
 * @param status - HTTP status code.
 * @param body - any JSON-serialisable value.
 * @param headers - extra headers (a `content-type` here replaces the JSON one).
 */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { status, body, headers: { "content-type": JSON_CONTENT_TYPE, ...headers } };
}
