/**
 * The running schedule: one timer per function, armed for its next activation. Each next time is
 * computed from the previous *scheduled* time, never from when the timer happened to fire, so a
 * late wake-up does not shift the series (no drift). A wake-up later than one or more further
 * activations runs the function once, as robfig/cron does, and says how many runs it missed.
 */
import type { Cancel, Clock } from "./clock.js";
import type { Schedule } from "./schedule.js";

/** A function the connector invokes on a schedule. */
export interface CronFunction {
  /** Function name. */
  readonly name: string;
  /** Its namespace. */
  readonly namespace: string;
  /** Its parsed `schedule` annotation. */
  readonly schedule: Schedule;
  /** Whether the gateway lists it with `jwt_auth` on. */
  readonly jwtAuth: boolean;
}

/** `<name>.<namespace>`, as the gateway routes and the logs name a function. */
export function functionKey(fn: Pick<CronFunction, "name" | "namespace">): string {
  return `${fn.name}.${fn.namespace}`;
}

/** Options of {@link CronTable}. */
export interface CronTableOptions {
  /** The time schedules run on. */
  clock: Clock;
  /** Starts one invocation; must not throw (it is not awaited: runs of one function may overlap, as in the Go connector). */
  run: (fn: CronFunction, scheduledAtMs: number) => void;
  /** Log lines. */
  log: (line: string) => void;
}

interface Entry {
  fn: CronFunction;
  nextMs: number;
  cancel: Cancel;
}

/** Bound on missed activations counted one by one; past it the next one after now is taken directly. */
const MAX_MISSED_COUNT = 10_000;

/** The functions scheduled right now, each with its timer. */
export class CronTable {
  readonly #options: CronTableOptions;
  readonly #entries = new Map<string, Entry>();

  constructor(options: CronTableOptions) {
    this.#options = options;
  }

  /** The scheduled functions. */
  get functions(): CronFunction[] {
    return [...this.#entries.values()].map((e) => e.fn);
  }

  /** The scheduled function by key (`<name>.<namespace>`). */
  get(key: string): CronFunction | undefined {
    return this.#entries.get(key)?.fn;
  }

  /** When the function runs next (epoch ms, schedule clock). */
  nextRun(key: string): number | undefined {
    return this.#entries.get(key)?.nextMs;
  }

  /** Schedules `fn` from now on; `false` when its schedule has no activation left (nothing is scheduled then). */
  add(fn: CronFunction): boolean {
    const key = functionKey(fn);
    this.remove(key);
    const nextMs = fn.schedule.next(this.#options.clock.now());
    if (nextMs === undefined) return false;
    this.#arm(key, { fn, nextMs, cancel: () => {} });
    return true;
  }

  /** Replaces what is known about a scheduled function without touching its timer (same schedule). */
  update(fn: CronFunction): void {
    const entry = this.#entries.get(functionKey(fn));
    if (entry) entry.fn = fn;
  }

  /** Unschedules a function; a run already started goes on. */
  remove(key: string): boolean {
    const entry = this.#entries.get(key);
    if (!entry) return false;
    entry.cancel();
    this.#entries.delete(key);
    return true;
  }

  /** Unschedules everything. */
  clear(): void {
    for (const key of [...this.#entries.keys()]) this.remove(key);
  }

  #arm(key: string, entry: Entry): void {
    this.#entries.set(key, entry);
    entry.cancel = this.#options.clock.at(entry.nextMs, () => this.#fire(key, entry));
  }

  #fire(key: string, entry: Entry): void {
    // Removed or replaced while the timer was pending.
    if (this.#entries.get(key) !== entry) return;
    const { clock, run, log } = this.#options;
    const scheduledAt = entry.nextMs;
    const now = clock.now();
    let next = entry.fn.schedule.next(scheduledAt);
    let missed = 0;
    while (next !== undefined && next <= now && missed < MAX_MISSED_COUNT) {
      missed++;
      next = entry.fn.schedule.next(next);
    }
    if (next !== undefined && next <= now) next = entry.fn.schedule.next(now);
    if (missed > 0) {
      log(`Missed: ${key} [${entry.fn.schedule.spec}] ${missed} run(s) while the connector was late by ${Math.round(now - scheduledAt)} ms; running once`);
    }
    if (next === undefined) this.#entries.delete(key);
    else this.#arm(key, { fn: entry.fn, nextMs: next, cancel: () => {} });
    run(entry.fn, scheduledAt);
  }
}
