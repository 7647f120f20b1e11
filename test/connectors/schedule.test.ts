/**
 * Schedule parsing: exactly what the OpenFaaS cron-connector's parser (robfig/cron v3, standard:
 * five fields plus descriptors) accepts, its day-of-month/day-of-week rule, time zones and DST,
 * and a differential check of next activations against a brute-force oracle that knows each
 * generated expression's value sets independently of the parser.
 */
import { describe, expect, it } from "vitest";
import { parseSchedule } from "../../connectors/cron-connector/src/schedule.js";
import { ConnectorError } from "../../connectors/cron-connector/src/errors.js";
import { parseGoDuration } from "../../connectors/cron-connector/src/duration.js";

const UTC = { timezone: "UTC" };
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
/** The next `n` activations after `from`, as ISO strings. */
function runs(spec: string, from: string, n: number, options = UTC): string[] {
  const schedule = parseSchedule(spec, options);
  const out: string[] = [];
  let t = Date.parse(from);
  for (let i = 0; i < n; i++) {
    const next = schedule.next(t);
    if (next === undefined) break;
    out.push(iso(next)!);
    t = next;
  }
  return out;
}

describe("expressions robfig's standard parser accepts", () => {
  it.each([
    ["*/15 * * * *", "2026-01-01T00:07:00Z", ["2026-01-01T00:15:00.000Z", "2026-01-01T00:30:00.000Z", "2026-01-01T00:45:00.000Z"]],
    ["0 9 * * 1-5", "2026-01-02T10:00:00Z", ["2026-01-05T09:00:00.000Z", "2026-01-06T09:00:00.000Z", "2026-01-07T09:00:00.000Z"]],
    ["0 9 * * MON-fri", "2026-01-02T10:00:00Z", ["2026-01-05T09:00:00.000Z", "2026-01-06T09:00:00.000Z", "2026-01-07T09:00:00.000Z"]],
    ["30 4 1,15 * ?", "2026-01-01T05:00:00Z", ["2026-01-15T04:30:00.000Z", "2026-02-01T04:30:00.000Z", "2026-02-15T04:30:00.000Z"]],
    ["0 0 1 jan-MAR *", "2026-01-01T00:00:00Z", ["2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z"]],
    // N/step means N-max/step in robfig (croner alone refuses it).
    ["5/20 * * * *", "2026-01-01T00:00:00Z", ["2026-01-01T00:05:00.000Z", "2026-01-01T00:25:00.000Z", "2026-01-01T00:45:00.000Z"]],
    ["0 10-16/3 * * *", "2026-01-01T00:00:00Z", ["2026-01-01T10:00:00.000Z", "2026-01-01T13:00:00.000Z", "2026-01-01T16:00:00.000Z"]],
    ["0 0 29 2 *", "2026-01-01T00:00:00Z", ["2028-02-29T00:00:00.000Z", "2032-02-29T00:00:00.000Z"]],
    ["  0   12 * * *  ", "2026-01-01T00:00:00Z", ["2026-01-01T12:00:00.000Z"]],
    ["0\t12 * * *", "2026-01-01T00:00:00Z", ["2026-01-01T12:00:00.000Z"]],
    ["@hourly", "2026-01-01T00:30:00Z", ["2026-01-01T01:00:00.000Z", "2026-01-01T02:00:00.000Z"]],
    ["@daily", "2026-01-01T00:30:00Z", ["2026-01-02T00:00:00.000Z"]],
    ["@midnight", "2026-01-01T00:30:00Z", ["2026-01-02T00:00:00.000Z"]],
    ["@weekly", "2026-01-01T00:30:00Z", ["2026-01-04T00:00:00.000Z", "2026-01-11T00:00:00.000Z"]],
    ["@monthly", "2026-01-01T00:30:00Z", ["2026-02-01T00:00:00.000Z"]],
    ["@yearly", "2026-01-01T00:30:00Z", ["2027-01-01T00:00:00.000Z"]],
    ["@annually", "2026-01-01T00:30:00Z", ["2027-01-01T00:00:00.000Z"]],
    ["@every 1h30m", "2026-01-01T00:00:00.400Z", ["2026-01-01T01:30:00.000Z", "2026-01-01T03:00:00.000Z"]],
    ["@every 90s", "2026-01-01T00:00:00Z", ["2026-01-01T00:01:30.000Z", "2026-01-01T00:03:00.000Z"]],
    // Below a second is a second, as robfig rounds it.
    ["@every 200ms", "2026-01-01T00:00:00Z", ["2026-01-01T00:00:01.000Z", "2026-01-01T00:00:02.000Z"]],
    ["CRON_TZ=Asia/Tokyo 0 9 * * *", "2026-01-01T00:30:00Z", ["2026-01-02T00:00:00.000Z", "2026-01-03T00:00:00.000Z"]],
    ["TZ=America/New_York 0 9 * * *", "2026-01-01T00:00:00Z", ["2026-01-01T14:00:00.000Z"]],
  ])("%j", (spec, from, expected) => {
    expect(runs(spec, from, expected.length)).toEqual(expected);
  });

  it("keeps the expression as written", () => {
    expect(parseSchedule("*/15 * * * *").spec).toBe("*/15 * * * *");
  });
});

describe("expressions it refuses, each with a reason", () => {
  it.each([
    ["", "is empty"],
    ["   ", "is empty"],
    ["* * * *", "expected exactly 5 fields"],
    ["0 * * * * *", "expected exactly 5 fields"], // seconds: croner would take it, robfig's standard parser does not
    ["0 0 * * * 2027", "expected exactly 5 fields"],
    ["60 * * * *", "above the maximum 59"],
    ["* 24 * * *", "above the maximum 23"],
    ["* * 0 * *", "below the minimum 1"],
    ["* * 32 * *", "above the maximum 31"],
    ["* * * 13 *", "above the maximum 12"],
    ["* * * * 7", "above the maximum 6"], // 7 for Sunday: croner takes it, robfig does not
    ["* * L * *", "is not a number"],
    ["* * 15W * *", "is not a number"],
    ["* * * * 5#2", "is not a number"],
    ["* * * * FRI#L", "is not a number"],
    ["*/0 * * * *", "the step must be at least 1"],
    ["*/x * * * *", "the step must be a whole number"],
    ["1/2/3 * * * *", "more than one '/'"],
    ["1-2-3 * * * *", "more than one '-'"],
    ["30-10 * * * *", "starts after it ends"],
    ["1,,2 * * * *", "empty list item"],
    ["*-5 * * * *", "is not a number"],
    ["+5 * * * *", "is not a number"],
    ["-5 * * * *", "is not a number"],
    ["* * * JANUARY *", "is not a number or a name"],
    ["@reboot", "unknown descriptor"],
    ["@Daily", "unknown descriptor"],
    ["@every", "unknown descriptor"],
    ["@every 1y", "@every needs a duration"],
    ["@every 0s", "above zero"],
    ["@every -5m", "above zero"],
    ["CRON_TZ=Mars/Olympus 0 9 * * *", "unknown time zone"],
    ["TZ=UTC", "no schedule after it"],
    ["CRON_TZ=UTC 61 * * * *", "above the maximum 59"],
    [`${"1,".repeat(200)}2 * * * *`, "longer than 256 characters"],
  ])("%j: %s", (spec, why) => {
    let error: unknown;
    try {
      parseSchedule(spec);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).code).toBe("ERR_SCHEDULE");
    expect((error as ConnectorError).message).toContain(why);
    expect((error as ConnectorError).message.length).toBeLessThan(300);
  });
});

describe("day of month and day of week (robfig's rule)", () => {
  it("ANDs them when either is a star: weekdays of every month", () => {
    expect(runs("0 0 * * 1", "2026-01-01T00:00:00Z", 2)).toEqual(["2026-01-05T00:00:00.000Z", "2026-01-12T00:00:00.000Z"]);
    expect(runs("0 0 13 * ?", "2026-01-01T00:00:00Z", 2)).toEqual(["2026-01-13T00:00:00.000Z", "2026-02-13T00:00:00.000Z"]);
  });

  it("ORs them when neither is a star: the 13th OR a Friday", () => {
    expect(runs("0 0 13 * 5", "2026-02-01T00:00:00Z", 4)).toEqual([
      "2026-02-06T00:00:00.000Z",
      "2026-02-13T00:00:00.000Z", // the 13th, and a Friday
      "2026-02-20T00:00:00.000Z",
      "2026-02-27T00:00:00.000Z",
    ]);
    expect(runs("0 0 14 * 5", "2026-02-10T00:00:00Z", 2)).toEqual(["2026-02-13T00:00:00.000Z", "2026-02-14T00:00:00.000Z"]);
  });

  it("a star with a step above 1 is not a star (robfig clears the bit): odd days OR Mondays", () => {
    expect(runs("0 0 */2 * 1", "2026-02-01T00:00:00Z", 4)).toEqual([
      "2026-02-02T00:00:00.000Z", // Monday
      "2026-02-03T00:00:00.000Z",
      "2026-02-05T00:00:00.000Z",
      "2026-02-07T00:00:00.000Z",
    ]);
  });

  it("*/1 keeps the star: every Monday only", () => {
    expect(runs("0 0 */1 * 1", "2026-02-01T00:00:00Z", 2)).toEqual(["2026-02-02T00:00:00.000Z", "2026-02-09T00:00:00.000Z"]);
  });
});

describe("time zones and daylight saving (Europe/Berlin: 2026-03-29 02:00 → 03:00, 2026-10-25 03:00 → 02:00)", () => {
  const BERLIN = { timezone: "Europe/Berlin" };

  it("a fixed-time job whose time does not exist runs right after the gap, the same day", () => {
    expect(runs("30 2 * * *", "2026-03-27T12:00:00Z", 3, BERLIN)).toEqual([
      "2026-03-28T01:30:00.000Z", // 02:30 CET
      "2026-03-29T01:00:00.000Z", // 03:00 CEST, the first valid time after the gap
      "2026-03-30T00:30:00.000Z", // 02:30 CEST
    ]);
  });

  it("a fixed-time job in the repeated hour runs once, at the first occurrence", () => {
    expect(runs("30 2 * * *", "2026-10-24T12:00:00Z", 2, BERLIN)).toEqual(["2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"]);
  });

  it("an interval job runs in both passes of the repeated hour and skips the missing one", () => {
    expect(runs("0,30 2 * * *", "2026-10-24T23:00:00Z", 4, BERLIN)).toEqual([
      "2026-10-25T00:00:00.000Z",
      "2026-10-25T00:30:00.000Z",
      "2026-10-25T01:00:00.000Z",
      "2026-10-25T01:30:00.000Z",
    ]);
    expect(runs("0,30 2 * * *", "2026-03-28T12:00:00Z", 1, BERLIN)).toEqual(["2026-03-30T00:00:00.000Z"]);
  });

  it("CRON_TZ= wins over the connector's zone", () => {
    expect(runs("CRON_TZ=UTC 0 9 * * *", "2026-01-01T00:00:00Z", 1, BERLIN)).toEqual(["2026-01-01T09:00:00.000Z"]);
    expect(runs("0 9 * * *", "2026-01-01T00:00:00Z", 1, BERLIN)).toEqual(["2026-01-01T08:00:00.000Z"]);
  });
});

it("a schedule with no activation left answers undefined", () => {
  expect(parseSchedule("0 0 30 2 *", UTC).next(Date.parse("2026-01-01T00:00:00Z"))).toBeUndefined();
});

it("Go durations", () => {
  expect(parseGoDuration("30s")).toBe(30_000);
  expect(parseGoDuration("1m30s")).toBe(90_000);
  expect(parseGoDuration("1.5h")).toBe(5_400_000);
  expect(parseGoDuration("250ms")).toBe(250);
  expect(parseGoDuration("0")).toBe(0);
  expect(parseGoDuration("-2s")).toBe(-2000);
  for (const bad of ["", "30", "s", "1d", "1m 30s", "abc", "1.2.3s"]) expect(parseGoDuration(bad), bad).toBeUndefined();
});

// ---- differential: random expressions against a brute-force oracle ----

/** A small deterministic PRNG (mulberry32), so a failure names a seed that reproduces it. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Generated {
  text: string;
  values: Set<number>;
  star: boolean;
}

/** One field: its text and, independently, the set of values it means and whether robfig sets the star bit. */
function generateField(rand: () => number, min: number, max: number): Generated {
  const pick = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const kind = rand();
  const all = (step: number, from = min, to = max): Set<number> => {
    const s = new Set<number>();
    for (let v = from; v <= to; v += step) s.add(v);
    return s;
  };
  if (kind < 0.3) return { text: "*", values: all(1), star: true };
  if (kind < 0.45) {
    const step = pick(2, Math.max(2, Math.floor((max - min) / 2)));
    return { text: `*/${step}`, values: all(step), star: false };
  }
  if (kind < 0.6) {
    const a = pick(min, max);
    const b = pick(a, max);
    const step = pick(1, 4);
    return { text: step === 1 ? `${a}-${b}` : `${a}-${b}/${step}`, values: all(step, a, b), star: false };
  }
  if (kind < 0.7) {
    const a = pick(min, max);
    const step = pick(1, 10);
    return { text: `${a}/${step}`, values: all(step, a, max), star: false };
  }
  const count = pick(1, 4);
  const values = new Set<number>();
  for (let i = 0; i < count; i++) values.add(pick(min, max));
  return { text: [...values].join(","), values, star: false };
}

/** The first minute after `fromMs` (UTC) matching the sets, by walking days then minutes: obviously right, slow. */
function oracleNext(f: Generated[], fromMs: number): number | undefined {
  const [minute, hour, dom, month, dow] = f as [Generated, Generated, Generated, Generated, Generated];
  const start = Math.floor(fromMs / 60_000) * 60_000 + 60_000;
  const day0 = Date.UTC(new Date(start).getUTCFullYear(), new Date(start).getUTCMonth(), new Date(start).getUTCDate());
  for (let d = 0; d < 366 * 5; d++) {
    const dayMs = day0 + d * 86_400_000;
    const date = new Date(dayMs);
    if (!month.values.has(date.getUTCMonth() + 1)) continue;
    const domOk = dom.values.has(date.getUTCDate());
    const dowOk = dow.values.has(date.getUTCDay());
    if (!(dom.star || dow.star ? domOk && dowOk : domOk || dowOk)) continue;
    for (let m = 0; m < 1440; m++) {
      const t = dayMs + m * 60_000;
      if (t < start) continue;
      if (hour.values.has(Math.floor(m / 60)) && minute.values.has(m % 60)) return t;
    }
  }
  return undefined;
}

it("next activations equal a brute-force oracle's for 150 random expressions (seeded)", () => {
  const bounds: [number, number][] = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 6]];
  const rand = random(20261130);
  let compared = 0;
  for (let i = 0; i < 150; i++) {
    const fields = bounds.map(([lo, hi]) => generateField(rand, lo, hi));
    const spec = fields.map((f) => f.text).join(" ");
    const schedule = parseSchedule(spec, UTC);
    let from = Date.UTC(2026, Math.floor(rand() * 12), 1 + Math.floor(rand() * 28), Math.floor(rand() * 24), Math.floor(rand() * 60));
    for (let k = 0; k < 3; k++) {
      const expected = oracleNext(fields, from);
      expect(iso(schedule.next(from)), `${spec} after ${iso(from)}`).toBe(iso(expected));
      if (expected === undefined) break;
      compared++;
      from = expected;
    }
  }
  expect(compared).toBeGreaterThan(300);
});
