/** Retry policy: which failures are retried, full-jitter backoff, and `Retry-After`. */
import type { OpenFaaSError } from "./errors.js";
import { abortError } from "./abort.js";

/** How a client retries failed calls. */
export interface RetryOptions {
  /** Retries after the first attempt (default 2; 0 disables). */
  limit?: number;
  /** Base of the exponential backoff, in milliseconds (default 100). */
  baseDelayMs?: number;
  /** Cap of one backoff delay, in milliseconds (default 2,000). */
  maxDelayMs?: number;
  /** Longest `Retry-After` honoured; a longer one ends the retries (default 30,000 ms). */
  maxRetryAfterMs?: number;
}

/** The retry policy with defaults applied. */
export type ResolvedRetry = Required<RetryOptions>;

/** Statuses worth retrying for an idempotent request. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 502, 503, 504]);

/** Methods whose repetition cannot change the outcome. */
const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/** Whether `method` may be repeated after the server might have seen it. */
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

/** Applies defaults to a `retries` option (a number is the limit). */
export function resolveRetry(option: number | RetryOptions | undefined): ResolvedRetry {
  const o: RetryOptions = typeof option === "number" ? { limit: option } : (option ?? {});
  return {
    limit: Math.max(0, Math.floor(o.limit ?? 2)),
    baseDelayMs: Math.max(0, o.baseDelayMs ?? 100),
    maxDelayMs: Math.max(0, o.maxDelayMs ?? 2_000),
    maxRetryAfterMs: Math.max(0, o.maxRetryAfterMs ?? 30_000),
  };
}

/** Full jitter: uniform in [0, min(cap, base·2^(retry-1))]. */
export function backoffDelay(retry: number, policy: ResolvedRetry, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/** Parses `Retry-After` (delta seconds or HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP date names its day and month; anything else (e.g. "-1") is not a valid Retry-After.
  if (!/^[A-Za-z]{3}, /.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The delay before the next retry, or `undefined` when the server asked for longer than the policy
 * allows (then the error is returned instead of waiting).
 */
export function retryDelay(retry: number, policy: ResolvedRetry, retryAfterMs: number | undefined): number | undefined {
  const jitter = backoffDelay(retry, policy);
  if (retryAfterMs === undefined) return jitter;
  if (retryAfterMs > policy.maxRetryAfterMs) return undefined;
  return Math.max(retryAfterMs, jitter);
}

/** Sleeps `ms`, rejecting early with the signal's reason if it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Whether a failure of any request may be retried by a caller with an idempotent request. */
export function isRetryableError(error: OpenFaaSError): boolean {
  if (error.code === "ERR_NETWORK") return true;
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" && RETRYABLE_STATUSES.has(status);
}
