/**
 * The lifecycle of one cached token: soft refresh window (background refresh while the token is
 * still served), hard margin (callers wait), one shared in-flight fetch, uncached failures with a
 * short backoff that honours `Retry-After`, and no way for a background failure to become an
 * unhandled rejection.
 */
import { abortable } from "./abort.js";
import { sleep } from "./retry.js";

/** Milliseconds since the epoch; injectable so tests can move time. */
export type Clock = () => number;

/**
 * Default clock: epoch milliseconds with sub-millisecond resolution, so "issued before this request
 * began" is decidable even when both happen within the same millisecond.
 */
const preciseClock: Clock = () => performance.timeOrigin + performance.now();

/** Tuning of a token's lifecycle. All durations in milliseconds; 0 is allowed everywhere. */
export interface TokenLifecycleOptions {
  /**
   * Soft window before expiry in which a call still gets the cached token but starts a background
   * refresh (default 300,000 = 5 min; capped at half the token's lifetime).
   */
  refreshWindowMs?: number;
  /**
   * Hard margin before expiry from which callers wait for a new token instead of using the old one
   * (default 10,000; capped at a quarter of the token's lifetime).
   */
  expiryMarginMs?: number;
  /** First backoff after a failed fetch (default 250). Doubles per consecutive failure, with jitter. */
  minBackoffMs?: number;
  /** Longest backoff, also the cap on an honoured `Retry-After` (default 10,000). */
  maxBackoffMs?: number;
  /** Time source (default: epoch milliseconds with sub-millisecond resolution). */
  clock?: Clock;
}

/** A token as a fetch returns it. */
export interface FetchedToken {
  /** The token. */
  value: string;
  /** How long it is valid from the moment the fetch started, in milliseconds. */
  lifetimeMs: number;
}

/** A cached token and when this process obtained it. */
export interface CachedToken {
  /** The token itself. */
  readonly value: string;
  /** When the fetch that produced it completed (clock time). */
  readonly issuedAt: number;
  /** When it stops being valid (clock time, counted from the start of the fetch). */
  readonly expiresAt: number;
}

interface Entry extends CachedToken {
  readonly refreshAt: number;
  readonly blockAt: number;
}

/** Counters, for tests and benchmarks. */
export interface TokenCacheStats {
  /** Fetches started. */
  fetches: number;
  /** Fetches that failed. */
  failures: number;
}

/** Single-flight cache of one token. */
export class TokenCache {
  readonly #fetch: () => Promise<FetchedToken>;
  readonly #clock: Clock;
  readonly #softMs: number;
  readonly #hardMs: number;
  readonly #minBackoffMs: number;
  readonly #maxBackoffMs: number;
  #current: Entry | undefined;
  #inflight: Promise<Entry> | undefined;
  #backoffUntil = 0;
  #consecutiveFailures = 0;
  readonly #stats: TokenCacheStats = { fetches: 0, failures: 0 };

  constructor(fetch: () => Promise<FetchedToken>, options: TokenLifecycleOptions = {}) {
    this.#fetch = fetch;
    this.#clock = options.clock ?? preciseClock;
    this.#softMs = nonNegative(options.refreshWindowMs, 300_000);
    this.#hardMs = nonNegative(options.expiryMarginMs, 10_000);
    this.#minBackoffMs = nonNegative(options.minBackoffMs, 250);
    this.#maxBackoffMs = Math.max(this.#minBackoffMs, nonNegative(options.maxBackoffMs, 10_000));
  }

  /** The current clock time. */
  now(): number {
    return this.#clock();
  }

  /** A copy of the counters. */
  get stats(): TokenCacheStats {
    return { ...this.#stats };
  }

  /**
   * The cached token if it may still be used without waiting; starts a background refresh when it
   * is inside the soft window. Synchronous: the hot path of every authenticated call.
   */
  peek(): CachedToken | undefined {
    const entry = this.#current;
    if (entry === undefined) return undefined;
    const now = this.#clock();
    if (now >= entry.blockAt) return undefined;
    if (now >= entry.refreshAt && this.#inflight === undefined && now >= this.#backoffUntil) this.#start();
    return entry;
  }

  /** A usable token, waiting for a fetch (shared with every other caller) when there is none. */
  async get(signal?: AbortSignal): Promise<CachedToken> {
    const cached = this.peek();
    if (cached) return cached;
    for (;;) {
      if (this.#inflight) return abortable(this.#inflight, signal);
      const wait = this.#backoffUntil - this.#clock();
      if (wait <= 0) return abortable(this.#start(), signal);
      await sleep(wait, signal);
      const fresh = this.peek();
      if (fresh) return fresh;
    }
  }

  /** Drops the cached token only if it was obtained before `issuedBefore`; returns whether it did. */
  invalidate(issuedBefore: number): boolean {
    if (this.#current !== undefined && this.#current.issuedAt < issuedBefore) {
      this.#current = undefined;
      return true;
    }
    return false;
  }

  #start(): Promise<Entry> {
    this.#stats.fetches++;
    const run = async (): Promise<Entry> => {
      const startedAt = this.#clock();
      const fetched = await this.#fetch();
      const lifetime = Math.max(0, fetched.lifetimeMs);
      const expiresAt = startedAt + lifetime;
      const entry: Entry = {
        value: fetched.value,
        issuedAt: this.#clock(),
        expiresAt,
        refreshAt: expiresAt - Math.min(this.#softMs, lifetime / 2),
        blockAt: expiresAt - Math.min(this.#hardMs, lifetime / 4),
      };
      this.#current = entry;
      return entry;
    };
    const inflight = run();
    this.#inflight = inflight;
    // Attached first, so the bookkeeping runs before any waiter resumes; handling the rejection here
    // is what makes a failed background refresh harmless.
    inflight.then(
      () => {
        this.#inflight = undefined;
        this.#consecutiveFailures = 0;
        this.#backoffUntil = 0;
      },
      (error: unknown) => {
        this.#inflight = undefined;
        this.#stats.failures++;
        this.#consecutiveFailures++;
        this.#backoffUntil = this.#clock() + this.#backoffAfter(error);
      },
    );
    return inflight;
  }

  #backoffAfter(error: unknown): number {
    const base = Math.min(this.#maxBackoffMs, this.#minBackoffMs * 2 ** (this.#consecutiveFailures - 1));
    const jittered = base / 2 + (Math.random() * base) / 2;
    const retryAfter = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
    if (typeof retryAfter === "number" && retryAfter > 0) return Math.max(jittered, Math.min(retryAfter, this.#maxBackoffMs));
    return jittered;
  }
}

function nonNegative(value: number | undefined, fallback: number): number {
  return value === undefined || !Number.isFinite(value) || value < 0 ? fallback : value;
}
