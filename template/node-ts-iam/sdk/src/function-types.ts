/**
 * The handler contract of the node-ts-iam template: the official `node22` template's
 * `(event, context, callback)` shape, typed. The template server implements it; the SDK re-exports
 * these types so that a handler needs one import specifier (`@node-ts-iam/sdk`) for everything.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

/** Response headers a handler sets with `context.headers(...)`. */
export type FunctionHeaders = OutgoingHttpHeaders;

/** Parsed query string: repeated keys become arrays (node's `querystring`, as Express 5's "simple" parser). */
export type FunctionQuery = Record<string, string | string[] | undefined>;

/**
 * The request as a handler sees it, with the body parsed as node22 parses it.
 * @typeParam TBody - the body type the handler expects (the server does not validate it).
 */
export interface FunctionEvent<TBody = unknown> {
  /**
   * Parsed body: `application/json` → the parsed value (`{}` for an empty body); `text/*` (or no
   * `Content-Type`) → string; `application/x-www-form-urlencoded` → object (extended `qs` syntax);
   * any type with `RAW_BODY=true` → `Buffer`; other types, and requests without a body → `undefined`.
   */
  readonly body: TBody;
  /** Request headers, lower-cased as Node gives them. */
  readonly headers: IncomingHttpHeaders;
  /** HTTP method, upper case. */
  readonly method: string;
  /** Parsed query string. */
  readonly query: FunctionQuery;
  /** Request path without the query string, as sent (not percent-decoded). */
  readonly path: string;
}

/** Response controls, chainable as in node22. */
export interface FunctionContext {
  /** Current status code (200 unless set). */
  status(): number;
  /** Sets the status code; returns the context for chaining. */
  status(code: number): this;
  /** The current response header map (mutable, as in node22). */
  headers(): FunctionHeaders;
  /** Replaces the whole response header map; returns the context for chaining. */
  headers(value: FunctionHeaders): this;
  /**
   * Answers with `value`: objects, arrays, numbers and booleans as JSON (`application/json` unless
   * a `Content-Type` was set), strings as they are (`text/html` by default, as node22), Buffers as
   * `application/octet-stream`, `undefined`/`null` as an empty body. Later answers are ignored.
   */
  succeed(value?: unknown): void;
  /** Answers with `String(value)` (as node22), with status 500 unless another status was set. */
  fail(value?: unknown): void;
}

/**
 * A node22-style callback: `callback(error)` answers like a thrown error (500 JSON), `callback(undefined, value)`
 * like `context.succeed(value)`.
 */
export type FunctionCallback = (error: unknown, value?: unknown) => void;

/**
 * A function handler. It answers by its return value (or the value its promise resolves to), by
 * `context.succeed`/`fail`, or by the callback. A handler that declares the third (callback) parameter
 * and returns `undefined` is answered when it calls the callback or the context. A thrown error or
 * rejected promise answers 500 (or the status already set, if ≥ 400) with a JSON body
 * `{"error": message}` and the headers already set.
 * @typeParam TBody - the body type the handler expects.
 */
export type Handler<TBody = unknown> = (
  event: FunctionEvent<TBody>,
  context: FunctionContext,
  callback: FunctionCallback,
) => unknown;
