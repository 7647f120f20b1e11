/**
 * The handler contract of the node-ts-iam template: the official `node22` template's
 * `(event, context)` shape, typed. Owned by the template server; re-exported by the SDK so that a
 * handler needs one import specifier for everything.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

/** The request as a handler sees it, with the body parsed as node22 parses it. */
export interface FunctionEvent<TBody = unknown> {
  /** Parsed body: object for JSON, string for text, Buffer with `RAW_BODY=true`, else `undefined`. */
  readonly body: TBody;
  /** Request headers, lower-cased as Node gives them. */
  readonly headers: IncomingHttpHeaders;
  /** HTTP method, upper case. */
  readonly method: string;
  /** Parsed query string. */
  readonly query: Readonly<Record<string, string | string[]>>;
  /** Request path, without the query string. */
  readonly path: string;
}

/** Response controls, chainable as in node22. */
export interface FunctionContext {
  /** Current status code (200 unless set). */
  status(): number;
  /** Sets the status code. */
  status(code: number): this;
  /** Current response headers. */
  headers(): OutgoingHttpHeaders;
  /** Replaces the whole response header map. */
  headers(value: OutgoingHttpHeaders): this;
  /** Answers with `value`: objects and arrays as JSON, other values as they are. */
  succeed(value?: unknown): void;
  /** Answers with `String(value)` and status 500 unless a status ≥ 400 was set. */
  fail(value?: unknown): void;
}

/** A node22-style callback, for handlers ported from callback style. */
export type FunctionCallback = (error: unknown, value?: unknown) => void;

/** A function handler: answers by return value, `context.succeed`/`fail`, or the callback. */
export type Handler<TBody = unknown> = (
  event: FunctionEvent<TBody>,
  context: FunctionContext,
  callback: FunctionCallback,
) => unknown;
