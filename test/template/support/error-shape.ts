/**
 * The error contract of a function's answers, as tests check it: JSON `{"code", "message"}` and nothing
 * else, the code SCREAMING_SNAKE without the `ERR_` prefix of JavaScript errors.
 */
import type { IncomingHttpHeaders } from "node:http";
import { expect } from "vitest";
import type { ServerErrorCode } from "../../../template/node-ts-iam/src/error-answer.js";

/** What an error answer must say; `message` as text (exactly) or a pattern. */
export interface ExpectedError {
  readonly status: number;
  readonly code: ServerErrorCode | (string & {});
  readonly message?: string | RegExp;
}

/**
 * An answer as the test helpers return it: `send`'s (headers, `text`) or a conformance call's (`body`,
 * headers not kept).
 */
export interface ErrorAnswer {
  readonly status?: number;
  readonly headers?: IncomingHttpHeaders;
  readonly text?: string;
  readonly body?: string;
}

/** Asserts that `answer` is an error answer of the contract with this status, code and message. */
export function expectErrorAnswer(answer: ErrorAnswer, expected: ExpectedError): void {
  const text = answer.text ?? answer.body ?? "";
  expect(answer.status, text).toBe(expected.status);
  if (answer.headers) expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(body).sort(), text).toEqual(["code", "message"]);
  expect(body["code"]).toMatch(/^(?!ERR_)[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/);
  expect(body["code"]).toBe(expected.code);
  expect(typeof body["message"]).toBe("string");
  if (typeof expected.message === "string") expect(body["message"]).toBe(expected.message);
  else if (expected.message) expect(body["message"]).toMatch(expected.message);
}
