/** A clock tests move by hand: `at()` callbacks run, in time order, only inside `advanceTo`/`advance`. */
import type { Clock } from "../../../connectors/cron-connector/src/clock.js";

interface Timer {
  atMs: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A {@link Clock} whose time only moves when the test says so. */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(startMs: number | string) {
    this.#now = typeof startMs === "string" ? Date.parse(startMs) : startMs;
  }

  now(): number {
    return this.#now;
  }

  at(atMs: number, fn: () => void): () => void {
    const timer: Timer = { atMs, seq: this.#seq++, fn, cancelled: false };
    this.#timers.push(timer);
    return () => void (timer.cancelled = true);
  }

  /** Timers still armed. */
  get pending(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /**
   * Moves time to `targetMs`, running every timer due on the way at its own time (the clock reads
   * the timer's time while it runs), or, with `wakeLate`, all of them only at the target, as a
   * process that was stopped or starved would.
   */
  advanceTo(target: number | string, options: { wakeLate?: boolean } = {}): void {
    const targetMs = typeof target === "string" ? Date.parse(target) : target;
    for (;;) {
      const due = this.#timers.filter((t) => !t.cancelled && t.atMs <= targetMs).sort((a, b) => a.atMs - b.atMs || a.seq - b.seq)[0];
      if (!due) break;
      due.cancelled = true;
      this.#now = options.wakeLate ? targetMs : Math.max(this.#now, due.atMs);
      due.fn();
    }
    this.#timers = this.#timers.filter((t) => !t.cancelled);
    this.#now = Math.max(this.#now, targetMs);
  }

  /** Moves time forward by `ms` (see {@link advanceTo}). */
  advance(ms: number, options: { wakeLate?: boolean } = {}): void {
    this.advanceTo(this.#now + ms, options);
  }
}
