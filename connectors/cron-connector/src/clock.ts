/**
 * Time as the scheduler sees it: `now()` and "call me at this instant". The real clock can run
 * faster than real time (the sandbox's `timeScale`), so a schedule of minutes can be watched in
 * seconds; tests inject a manual clock.
 */

/** Cancels a wake-up. */
export type Cancel = () => void;

/** A source of time the scheduler and the rebuild loop run on. */
export interface Clock {
  /** Current time, epoch milliseconds (scaled time for a scaled clock). */
  now(): number;
  /** Calls `fn` once, when `now()` has reached `atMs`. */
  at(atMs: number, fn: () => void): Cancel;
}

// setTimeout cannot wait longer than 2^31-1 ms, and a long wait should notice a clock step, so
// long waits are cut into pieces that each re-check the time.
const MAX_WAIT_MS = 60 * 60 * 1000;

/**
 * The system clock, optionally running `scale` times faster than real time from the moment it is
 * created: `now()` starts at the real time and advances `scale` ms per real ms. Its timers keep the
 * process alive (the connector is a daemon; stopping it cancels them).
 */
export function systemClock(scale = 1): Clock {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`clock scale must be a positive number (got ${scale})`);
  const origin = Date.now();
  const now = scale === 1 ? Date.now : () => origin + (Date.now() - origin) * scale;
  return {
    now,
    at(atMs, fn) {
      let timer: NodeJS.Timeout | undefined;
      let cancelled = false;
      // Never calls fn synchronously: a caller may still be setting up when the time has come.
      const arm = (): void => {
        // Round up: a timer that fires a fraction early would only be re-armed.
        timer = setTimeout(fire, Math.min(MAX_WAIT_MS, Math.max(0, Math.ceil((atMs - now()) / scale))));
      };
      const fire = (): void => {
        if (cancelled) return;
        if (now() < atMs) return arm();
        fn();
      };
      arm();
      return () => {
        cancelled = true;
        if (timer) clearTimeout(timer);
      };
    },
  };
}
