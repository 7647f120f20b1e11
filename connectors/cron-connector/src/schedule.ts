/**
 * Cron schedules as the OpenFaaS cron-connector reads its `schedule` annotation: robfig/cron v3's
 * standard parser (five fields: minute, hour, day of month, month, day of week; `*`, `?`, lists,
 * ranges, steps, `N/step` = `N-max/step`, month and weekday names; the descriptors `@yearly`,
 * `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`, `@every <duration>`; an
 * optional `CRON_TZ=<zone> ` or `TZ=<zone> ` prefix). The parse is ours, so exactly those
 * expressions are accepted (croner alone would also take seconds, years, `L`, `W`, `#` and refuse
 * `5/15`); the next activation in a time zone, across daylight-saving changes, is croner's.
 *
 * robfig's day rule is kept: day of month and day of week are ANDed when either field is a star
 * (`*`, `?`, or a star range with step 1), else ORed, so `0 0 *\/2 * MON` runs on odd days OR
 * Mondays, as in the Go connector.
 */
import { Cron } from "croner";
import { ConnectorError } from "./errors.js";
import { parseGoDuration } from "./duration.js";

/** A parsed schedule. */
export interface Schedule {
  /** The expression as written in the annotation. */
  readonly spec: string;
  /** The first activation strictly after `afterMs` (epoch ms), or `undefined` when there is none. */
  next(afterMs: number): number | undefined;
}

/** Options of {@link parseSchedule}. */
export interface ScheduleOptions {
  /**
   * IANA zone for expressions without a `CRON_TZ=` prefix (default: the process's local zone, as
   * robfig's `time.Local`; in a container that is UTC unless `TZ` is set).
   */
  timezone?: string;
}

interface Field {
  values: number[];
  /** robfig's star bit: the field held `*` or `?` without a step above 1. */
  star: boolean;
}

interface Bounds {
  name: string;
  min: number;
  max: number;
  names?: Readonly<Record<string, number>>;
}

const MONTH_NAMES = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DAY_NAMES = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const FIELDS: readonly Bounds[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTH_NAMES },
  // robfig allows 0-6 only: 7 for Sunday (which croner would take) is refused there, so here.
  { name: "day of week", min: 0, max: 6, names: DAY_NAMES },
];
const DESCRIPTORS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};
const EVERY = "@every ";
/** Annotations are user input; nothing sensible is longer. */
const MAX_SPEC_LENGTH = 256;

/**
 * Parses a `schedule` annotation. Throws {@link ConnectorError} `ERR_SCHEDULE` saying what is
 * wrong (the Go connector's parser refuses the same expressions, plus a few it accepts by accident:
 * empty list items, `*-5`, signed numbers, a `TZ=` prefix with nothing after it, `@every` of zero
 * or less).
 */
export function parseSchedule(spec: string, options: ScheduleOptions = {}): Schedule {
  const fail = (why: string): never => {
    throw new ConnectorError("ERR_SCHEDULE", `schedule ${JSON.stringify(spec.length > 80 ? `${spec.slice(0, 80)}...` : spec)}: ${why}`);
  };
  if (spec.trim() === "") fail("is empty");
  if (spec.length > MAX_SPEC_LENGTH) fail(`is longer than ${MAX_SPEC_LENGTH} characters`);

  let rest = spec;
  let timezone = options.timezone;
  if (rest.startsWith("TZ=") || rest.startsWith("CRON_TZ=")) {
    const space = rest.search(/\s/);
    if (space < 0) fail("has a time zone prefix but no schedule after it");
    timezone = rest.slice(rest.indexOf("=") + 1, space);
    if (!isTimeZone(timezone)) fail(`unknown time zone ${JSON.stringify(timezone)}`);
    rest = rest.slice(space).trim();
  }

  if (rest.startsWith("@")) {
    if (rest.startsWith(EVERY)) return everySchedule(spec, rest.slice(EVERY.length), fail);
    const pattern = DESCRIPTORS[rest];
    if (pattern === undefined) fail(`unknown descriptor ${JSON.stringify(rest)}`);
    return cronSchedule(spec, parseFields(pattern!, fail), timezone);
  }
  return cronSchedule(spec, parseFields(rest, fail), timezone);
}

function parseFields(text: string, fail: (why: string) => never): Field[] {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== FIELDS.length) fail(`expected exactly 5 fields (minute hour day-of-month month day-of-week), found ${parts.length}`);
  return parts.map((part, i) => parseField(part, FIELDS[i]!, fail));
}

function parseField(text: string, bounds: Bounds, fail: (why: string) => never): Field {
  const values = new Set<number>();
  let star = false;
  for (const item of text.split(",")) {
    if (item === "") fail(`${bounds.name} field ${JSON.stringify(text)} has an empty list item`);
    const range = parseRange(item, bounds, fail);
    star ||= range.star;
    for (let v = range.start; v <= range.end; v += range.step) values.add(v);
  }
  return { values: [...values].sort((a, b) => a - b), star };
}

function parseRange(item: string, bounds: Bounds, fail: (why: string) => never): { start: number; end: number; step: number; star: boolean } {
  const where = `${bounds.name} ${JSON.stringify(item)}`;
  const slashes = item.split("/");
  if (slashes.length > 2) fail(`${where} has more than one '/'`);
  const [rangePart, stepPart] = slashes as [string, string | undefined];
  const ends = rangePart.split("-");
  if (ends.length > 2) fail(`${where} has more than one '-'`);
  let start: number;
  let end: number;
  let star = false;
  if (rangePart === "*" || rangePart === "?") {
    [start, end, star] = [bounds.min, bounds.max, true];
  } else {
    start = parseValue(ends[0]!, bounds, where, fail);
    end = ends.length === 2 ? parseValue(ends[1]!, bounds, where, fail) : start;
  }
  let step = 1;
  if (stepPart !== undefined) {
    if (!/^\d+$/.test(stepPart)) fail(`${where}: the step must be a whole number`);
    step = Number(stepPart);
    if (step === 0) fail(`${where}: the step must be at least 1`);
    // robfig: "N/step" means "N-max/step"; a step above 1 clears the star.
    if (!star && ends.length === 1) end = bounds.max;
    if (step > 1) star = false;
  }
  if (start < bounds.min) fail(`${where}: ${start} is below the minimum ${bounds.min}`);
  if (end > bounds.max) fail(`${where}: ${end} is above the maximum ${bounds.max}`);
  if (start > end) fail(`${where}: the range starts after it ends`);
  return { start, end, step, star };
}

function parseValue(text: string, bounds: Bounds, where: string, fail: (why: string) => never): number {
  const named = bounds.names?.[text.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^\d{1,4}$/.test(text)) fail(`${where}: ${JSON.stringify(text)} is not a number${bounds.names ? " or a name" : ""}`);
  return Number(text);
}

function cronSchedule(spec: string, fields: Field[], timezone: string | undefined): Schedule {
  const [minute, hour, dom, month, dow] = fields as [Field, Field, Field, Field, Field];
  const text = (f: Field): string => (f.star ? "*" : f.values.join(","));
  // Explicit lists (never croner's own wildcard heuristics) plus robfig's AND/OR rule for the days.
  const cron = new Cron([minute, hour, dom, month, dow].map(text).join(" "), {
    mode: "5-part",
    paused: true,
    domAndDow: dom.star || dow.star,
    ...(timezone !== undefined ? { timezone } : {}),
  });
  return {
    spec,
    next(afterMs: number): number | undefined {
      return cron.nextRun(new Date(afterMs))?.getTime();
    },
  };
}

function everySchedule(spec: string, durationText: string, fail: (why: string) => never): Schedule {
  const parsed = parseGoDuration(durationText);
  if (parsed === undefined) fail(`@every needs a duration such as 90s, 15m or 1h30m (got ${JSON.stringify(durationText)})`);
  if (parsed! <= 0) fail("@every needs a duration above zero");
  // robfig rounds below one second up to one second and drops fractions of a second.
  const delayMs = Math.max(1000, Math.floor(parsed! / 1000) * 1000);
  return {
    spec,
    next(afterMs: number): number {
      return Math.floor(afterMs / 1000) * 1000 + delayMs;
    },
  };
}

function isTimeZone(zone: string): boolean {
  if (zone === "" || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
