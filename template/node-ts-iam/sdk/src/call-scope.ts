/**
 * One call's scope: the caller's signal plus the SDK's own deadline, and the secrets the call has
 * sent. Every error of the call is built against this one scope, so the secrets to redact are
 * collected where they are used (a credential, a subject token) instead of being handed down
 * through every function in between.
 */
import { NetworkError, OpenFaaSError, TimeoutError, type RequestSite } from "./errors.js";
import { abortError, MAX_TIMER_MS } from "./abort.js";
import { neverReachedServer } from "./http.js";
import { Redactor, safeCause } from "./redact.js";

/** @internal */
export class CallScope {
  readonly #controller = new AbortController();
  readonly #userSignal: AbortSignal | undefined;
  readonly #onUserAbort = (): void => this.#controller.abort(this.#userSignal?.reason);
  #timer: NodeJS.Timeout | undefined;
  #timedOut = false;
  /** The timeout this scope enforces, in milliseconds. */
  readonly timeoutMs: number;
  /** What this call sent that must never appear in its errors. */
  readonly secrets = new Redactor();

  constructor(userSignal: AbortSignal | undefined, timeoutMs: number) {
    this.#userSignal = userSignal;
    this.timeoutMs = timeoutMs;
    if (userSignal?.aborted) this.#controller.abort(userSignal.reason);
    else userSignal?.addEventListener("abort", this.#onUserAbort, { once: true });
    if (timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS) {
      this.#timer = setTimeout(() => {
        this.#timedOut = true;
        this.#controller.abort(new Error("deadline"));
      }, timeoutMs);
      this.#timer.unref();
    }
  }

  /** Aborts when the caller aborts or the deadline passes. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Whether the deadline (not the caller) ended the call. */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  /** Stops the deadline but keeps the caller's abort wired (for long-lived streams). */
  clearDeadline(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Releases the timer and the listener on the caller's signal. */
  dispose(): void {
    this.clearDeadline();
    this.#userSignal?.removeEventListener("abort", this.#onUserAbort);
  }

  /**
   * Turns whatever a failed send or read threw into what the caller should see: a TimeoutError,
   * the caller's own abort reason, an SDK error as it is, or a NetworkError with a cause redacted
   * against this call's secrets.
   */
  classify(error: unknown, site: RequestSite): Error {
    if (this.#timedOut) return new TimeoutError(site, this.timeoutMs);
    if (this.#userSignal?.aborted) return abortError(this.#userSignal);
    if (error instanceof OpenFaaSError) return error;
    return new NetworkError(site, !neverReachedServer(error), safeCause(error, this.secrets));
  }
}
