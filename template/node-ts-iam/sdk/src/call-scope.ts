/**
 * One call's scope: the caller's signal plus the SDK's own deadline, and the secrets the call has
 * sent. Every error of the call is built against this one scope, so the secrets to redact are
 * collected where they are used (a credential, a subject token) instead of being handed down
 * through every function in between. A call that succeeds never builds anything to redact with:
 * noting its credential is a field store, and the {@link Redactor} is made only for an error.
 */
import { NetworkError, OpenFaaSError, TimeoutError, type RequestSite } from "./errors.js";
import { abortError, MAX_TIMER_MS } from "./abort.js";
import { neverReachedServer } from "./http.js";
import { Redactor, safeCause, type HeaderCredential } from "./redact.js";

/** @internal */
export class CallScope {
  readonly #controller = new AbortController();
  readonly #userSignal: AbortSignal | undefined;
  readonly #onUserAbort = (): void => this.#controller.abort(this.#userSignal?.reason);
  #timer: NodeJS.Timeout | undefined;
  #timedOut = false;
  /** The credential this call sent last; its value is read only if an error is built. */
  #credential: HeaderCredential | undefined;
  #secrets: Redactor | undefined;
  /** The timeout this scope enforces, in milliseconds. */
  readonly timeoutMs: number;

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
