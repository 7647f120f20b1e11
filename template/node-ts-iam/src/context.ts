/** The `context` a handler answers through: node22's chainable API, answering at most once. */
import type { ServerResponse } from "node:http";
import type { FunctionContext, FunctionHeaders } from "@node-ts-iam/sdk";
import { sendFailure, sendHandlerError, sendValue } from "./respond.js";

/** One request's answer state. */
export class ResponseContext implements FunctionContext {
  /** Set once the answer has been written; later answers are ignored. */
  answered = false;
  private statusCode = 200;
  private headerValues: FunctionHeaders = {};
  /** A private field: the context is returned and logged by handlers, and must never serialise its socket. */
  readonly #res: ServerResponse;
  /** `ETAG=true`: answers are tagged, conditional GETs may answer 304. */
  readonly #etag: boolean;

  constructor(res: ServerResponse, etag: boolean) {
    this.#res = res;
    this.#etag = etag;
  }

  status(): number;
  status(code: number): this;
  status(code?: number): number | this {
    // As node22: a falsy code reads the status instead of setting it.
    if (!code) return this.statusCode;
    this.statusCode = code;
    return this;
  }

  headers(): FunctionHeaders;
  headers(value: FunctionHeaders): this;
  headers(value?: FunctionHeaders): FunctionHeaders | this {
    if (!value) return this.headerValues;
    this.headerValues = value;
    return this;
  }

  /**
   * Answers with `value`. The context itself (`return context.status(302).headers(...)`, or passed to
   * the callback) is no value: it answers with the status and headers set on it and no body (node22
   * sent its own fields as JSON).
   */
  succeed(value?: unknown): void {
    if (this.answeredAgain()) return;
    sendValue(this.#res, this.statusCode, this.headerValues, value === this ? undefined : value, this.#etag);
  }

  fail(value?: unknown): void {
    if (this.answeredAgain()) return;
    if (this.statusCode === 200) this.statusCode = 500;
    sendFailure(this.#res, this.statusCode, this.headerValues, value, this.#etag);
  }

  /**
   * Marks the request answered; true (and a log line) when it already was. node22 wrote the second
   * answer onto the sent one and the process died of ERR_HTTP_HEADERS_SENT.
   */
  private answeredAgain(): boolean {
    if (!this.answered) {
      this.answered = true;
      return false;
    }
    console.error("node-ts-iam: the handler answered a request that was already answered: ignored (the first answer was sent)");
    return true;
  }

  /** A thrown error, rejected promise or `callback(error)`: 500, or the status already set if ≥ 400. */
  error(error: unknown): void {
    if (this.answered) {
      console.error("node-ts-iam: handler error after the answer was sent:", error);
      return;
    }
    this.answered = true;
    console.error("node-ts-iam: handler error:", error);
    const status = this.statusCode >= 400 && this.statusCode <= 599 ? this.statusCode : 500;
    sendHandlerError(this.#res, status, this.headerValues, error, this.#etag);
  }
}
