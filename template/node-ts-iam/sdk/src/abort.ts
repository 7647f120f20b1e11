/**
 * Aborts and deadlines: what an aborted wait rejects with, a promise raced against a signal, and
 * the longest delay a timer can hold. No I/O and no HTTP here, so that the token cache, the retry
 * policy and the call scope need not import the wire module.
 */

/**
 * Longest delay a Node timer keeps (2^31 - 1 ms, 24.8 days); a longer one would fire after 1 ms.
 * Longer timeouts mean none.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** @internal What an aborted wait rejects with: the signal's reason when it is an Error, else an AbortError. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException("The operation was aborted", "AbortError");
}

/** Resolves `promise`, or rejects as soon as `signal` aborts (the promise itself keeps running). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
