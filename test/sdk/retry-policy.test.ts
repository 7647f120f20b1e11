import { describe, expect, it } from "vitest";
import { backoffDelay, parseRetryAfter, resolveRetry, retryDelay, isIdempotent } from "../../template/node-ts-iam/sdk/src/retry.js";

describe("retry policy", () => {
  it("parses Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-1", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it("uses full jitter within the exponential ceiling", () => {
    const policy = resolveRetry({ baseDelayMs: 100, maxDelayMs: 1000 });
    expect(backoffDelay(1, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(3, policy, () => 0.999)).toBe(399);
    expect(backoffDelay(10, policy, () => 0.999)).toBe(999);
    expect(backoffDelay(2, policy, () => 0)).toBe(0);
  });

  it("waits at least Retry-After, and refuses one beyond the cap", () => {
    const policy = resolveRetry({ baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 5000 });
    expect(retryDelay(1, policy, 3000)).toBe(3000);
    expect(retryDelay(1, policy, 6000)).toBeUndefined();
  });

  it("defaults and idempotency", () => {
    expect(resolveRetry(undefined)).toEqual({ limit: 2, baseDelayMs: 100, maxDelayMs: 2000, maxRetryAfterMs: 30000 });
    expect(resolveRetry(0).limit).toBe(0);
    expect(["GET", "PUT", "DELETE", "HEAD"].every(isIdempotent)).toBe(true);
    expect(["POST", "PATCH"].some(isIdempotent)).toBe(false);
  });
});
