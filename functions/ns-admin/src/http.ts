/**
 * The request/response shapes the API works on, independent of the template's handler contract so
 * that the routing and validation can be tested without a server.
 */

/** What the API needs from an incoming request (a subset of the template's `FunctionEvent`). */
export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string | string[] | undefined>>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: unknown;
}

/** A response: status, headers and a JSON-serialisable body. */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/** Builds a JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { status, body, headers: { "content-type": "application/json; charset=utf-8", ...headers } };
}
