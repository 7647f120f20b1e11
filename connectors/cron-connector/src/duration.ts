/**
 * Go's `time.ParseDuration` grammar (`30s`, `1m30s`, `1.5h`, `250ms`), which the OpenFaaS
 * cron-connector reads `rebuild_interval`, `rebuild_timeout` and `@every` with, so the same values
 * mean the same here. Results are milliseconds (fractions below 1 ms are dropped).
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a Go duration into milliseconds; `undefined` when `text` is not one. A sign is accepted
 * as Go accepts it; callers decide whether a negative or zero value makes sense.
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  // Go accepts a bare "0" (and only that number without a unit).
  if (rest === "0") return 0;
  if (rest === "") return undefined;
  let total = 0;
  TERM.lastIndex = 0;
  while (TERM.lastIndex < rest.length) {
    const start = TERM.lastIndex;
    const match = TERM.exec(rest);
    if (!match || match.index !== start) return undefined;
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  return sign * Math.floor(total);
}

/** Formats a duration as the Go connector logs it: `734ms` below a second, else `1.25s`. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(2)}s`;
}
