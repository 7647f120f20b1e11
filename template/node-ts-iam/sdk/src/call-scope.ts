/**
 * One call's scope: the caller's signal plus the SDK's own deadline, and the secrets the call has
 * sent. Every error of the call is built against this one scope, so the secrets to redact are
 * collected where they are used (a credential, a subject token) instead of being handed down
 * through every function in between.
 *
 * A call that succeeds with a cached token pays one timer (its deadline) and nothing else here:
 * the deadline cancels the exchange in flight directly, an AbortSignal is made only for what waits
 * on one (an exchange of tokens, a retry's sleep), noting the credential is a field store, and the
 * {@link Redactor} is made only for an error.
 */
import { NetworkError, OpenFaaSError, TimeoutError, type RequestSite } from "./errors.js";
import { abortError, MAX_TIMER_MS } from "./abort.js";
import { neverReachedServer, type Cancellable, type ExchangeTracker } from "./http.js";
import { Redactor, safeCause, type HeaderCredential } from "./redact.js";

/** What a deadline cancels with (never seen by a caller: {@link CallScope.classify} turns it into a TimeoutError). */
const DEADLINE = new Error("deadline");
/** What an attempt's own deadline cancels it with (the pipeline turns it into a TimeoutError). */
const ATTEMPT_DEADLINE = new Error("attempt deadline");

/** @internal */
export class CallScope implements ExchangeTracker {
  readonly #userSignal: AbortSignal | undefined;
  #onUserAbort: (() => void) | undefined;
  /** Made on the first use of {@link signal}. */
  #controller: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #timedOut = false;
  /** The exchange in flight, cancelled by the deadline or the caller's abort. */
  #inFlight: Cancellable | undefined;
  /** Deadline of each attempt, when there is one. */
  readonly #attemptMs: number | undefined;
  #attemptTimer: NodeJS.Timeout | undefined;
  #attemptTimedOut = false;
  /** The credential this call sent last; its value is read only if an error is built. */
  #credential: HeaderCredential | undefined;
  #secrets: Redactor | undefined;
  /** The timeout this scope enforces, in milliseconds. */
  readonly timeoutMs: number;

  constructor(userSignal: AbortSignal | undefined, timeoutMs: number, attemptTimeoutMs?: number) {
    this.#userSignal = userSignal;
    this.timeoutMs = timeoutMs;
    this.#attemptMs = attemptTimeoutMs !== undefined && attemptTimeoutMs > 0 && attemptTimeoutMs <= MAX_TIMER_MS ? attemptTimeoutMs : undefined;
    if (userSignal && !userSignal.aborted) {
      this.#onUserAbort = () => this.#abort(abortError(userSignal));
      userSignal.addEventListener("abort", this.#onUserAbort, { once: true });
    }
    if (timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS) {
      this.#timer = setTimeout(expire, timeoutMs, this);
      this.#timer.unref();
    }
  }

  /** Whether the caller aborted or the deadline passed. */
  get aborted(): boolean {
    return this.#timedOut || this.#userSignal?.aborted === true;
  }

  /** Whether the deadline (not the caller) ended the call. */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  /** Aborts when the caller aborts or the deadline passes: for what waits on a signal (an exchange of tokens, a sleep). */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#timedOut) this.#controller.abort(DEADLINE);
      else if (this.#userSignal?.aborted) this.#controller.abort(abortError(this.#userSignal));
    }
    return this.#controller.signal;
  }

  /** Whether the last attempt's own deadline (`attemptTimeoutMs`) ended it. */
  get attemptTimedOut(): boolean {
    return this.#attemptTimedOut;
  }

  /** Makes `exchange` the one the deadline or the caller's abort cancels, and starts its attempt's deadline. */
  track(exchange: Cancellable): void {
    this.#inFlight = exchange;
    this.#attemptTimedOut = false;
    if (this.aborted) return exchange.cancel(this.#timedOut ? DEADLINE : abortError(this.#userSignal as AbortSignal));
    if (this.#attemptMs !== undefined) this.#attemptTimer = setTimeout(expireAttempt, this.#attemptMs, this);
  }

  /** The attempt got its answer (a stream: its head) or failed: its own deadline stops. */
  attemptEnded(): void {
    if (this.#attemptTimer) clearTimeout(this.#attemptTimer);
    this.#attemptTimer = undefined;
  }

  /** @internal Called by the deadline's timer. */
  expire(): void {
    this.#timedOut = true;
    this.#abort(DEADLINE);
  }

  /** @internal Called by the attempt's timer. */
  expireAttempt(): void {
    this.#attemptTimedOut = true;
    this.#inFlight?.cancel(ATTEMPT_DEADLINE);
  }

  #abort(reason: Error): void {
    this.#controller?.abort(reason);
    this.#inFlight?.cancel(reason);
  }

  /**
   * What this call sent that must never appear in its errors, with the credential it sent (made on
   * first use: on an error path, or by a token request adding what its form carries).
   */
  get secrets(): Redactor {
    const secrets = (this.#secrets ??= new Redactor());
    if (this.#credential !== undefined) secrets.addCredential(this.#credential);
    return secrets;
  }

  /** Notes a credential this call sends: a field store, so that a cached-token call pays nothing for redaction. */
  sent(credential: HeaderCredential): void {
    if (credential === this.#credential) return;
    // The one it replaces (before the replay after a 401, or a token refreshed between retries) stays a secret.
    if (this.#credential !== undefined) (this.#secrets ??= new Redactor()).addCredential(this.#credential);
    this.#credential = credential;
  }

  /** Stops the deadline but keeps the caller's abort wired (for long-lived streams). */
  clearDeadline(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Releases the timers and the listener on the caller's signal. */
  dispose(): void {
    this.clearDeadline();
    this.attemptEnded();
    if (this.#onUserAbort) this.#userSignal?.removeEventListener("abort", this.#onUserAbort);
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

/** The deadlines' timer callbacks: one function for every scope, so a call allocates no closure for them. */
function expire(scope: CallScope): void {
  scope.expire();
}

function expireAttempt(scope: CallScope): void {
  scope.expireAttempt();
}
