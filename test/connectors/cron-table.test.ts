/**
 * The running schedule on an injected clock: on time, no drift after late wake-ups, one run for a
 * burst of missed activations (as robfig/cron), removal and replacement cancel timers.
 */
import { describe, expect, it } from "vitest";
import { CronTable, type CronFunction } from "../../connectors/cron-connector/src/cron-table.js";
import { parseSchedule } from "../../connectors/cron-connector/src/schedule.js";
import { ManualClock } from "./support/manual-clock.js";

function setup(start = "2026-01-01T00:00:00Z") {
  const clock = new ManualClock(start);
  const fired: { key: string; scheduled: string; at: string }[] = [];
  const lines: string[] = [];
  const table = new CronTable({
    clock,
    run: (fn, scheduledAt) => fired.push({ key: `${fn.name}.${fn.namespace}`, scheduled: new Date(scheduledAt).toISOString(), at: new Date(clock.now()).toISOString() }),
    log: (line) => lines.push(line),
  });
  const fn = (name: string, spec: string): CronFunction => ({ name, namespace: "openfaas-fn", schedule: parseSchedule(spec, { timezone: "UTC" }), jwtAuth: false });
  return { clock, table, fired, lines, fn };
}

describe("CronTable", () => {
  it("runs each function at its activations, on time", () => {
    const { clock, table, fired, fn } = setup("2026-01-01T00:07:00Z");
    expect(table.add(fn("janitor", "*/15 * * * *"))).toBe(true);
    expect(table.add(fn("report", "0 * * * *"))).toBe(true);
    clock.advanceTo("2026-01-01T01:00:00Z");
    // Two runs due at the same instant may come in either order.
    expect(fired.sort((a, b) => a.scheduled.localeCompare(b.scheduled) || a.key.localeCompare(b.key))).toEqual([
      { key: "janitor.openfaas-fn", scheduled: "2026-01-01T00:15:00.000Z", at: "2026-01-01T00:15:00.000Z" },
      { key: "janitor.openfaas-fn", scheduled: "2026-01-01T00:30:00.000Z", at: "2026-01-01T00:30:00.000Z" },
      { key: "janitor.openfaas-fn", scheduled: "2026-01-01T00:45:00.000Z", at: "2026-01-01T00:45:00.000Z" },
      { key: "janitor.openfaas-fn", scheduled: "2026-01-01T01:00:00.000Z", at: "2026-01-01T01:00:00.000Z" },
      { key: "report.openfaas-fn", scheduled: "2026-01-01T01:00:00.000Z", at: "2026-01-01T01:00:00.000Z" },
    ]);
  });

  it("does not drift: a wake-up late by less than a period keeps the series on its marks", () => {
    const { clock, table, fired, lines, fn } = setup();
    table.add(fn("tick", "@every 1m"));
    // Each wake-up comes 45 s late; the next activation is still computed from the scheduled one.
    for (let i = 1; i <= 5; i++) clock.advanceTo(Date.parse("2026-01-01T00:00:00Z") + i * 60_000 + 45_000, { wakeLate: true });
    expect(fired.map((f) => f.scheduled)).toEqual([
      "2026-01-01T00:01:00.000Z",
      "2026-01-01T00:02:00.000Z",
      "2026-01-01T00:03:00.000Z",
      "2026-01-01T00:04:00.000Z",
      "2026-01-01T00:05:00.000Z",
    ]);
    expect(table.nextRun("tick.openfaas-fn")).toBe(Date.parse("2026-01-01T00:06:00Z"));
    expect(lines).toEqual([]);
  });

  it("a wake-up past several activations runs once, logs how many it missed, and resumes on the marks", () => {
    const { clock, table, fired, lines, fn } = setup();
    table.add(fn("janitor", "*/15 * * * *"));
    clock.advanceTo("2026-01-01T01:05:00Z", { wakeLate: true });
    expect(fired).toEqual([{ key: "janitor.openfaas-fn", scheduled: "2026-01-01T00:15:00.000Z", at: "2026-01-01T01:05:00.000Z" }]);
    expect(lines).toEqual([expect.stringMatching(/^Missed: janitor\.openfaas-fn \[\*\/15 \* \* \* \*\] 3 run\(s\) while the connector was late by 3000000 ms; running once$/)]);
    expect(new Date(table.nextRun("janitor.openfaas-fn")!).toISOString()).toBe("2026-01-01T01:15:00.000Z");
  });

  it("remove cancels the timer; add replaces an entry (one timer per function)", () => {
    const { clock, table, fired, fn } = setup();
    table.add(fn("a", "* * * * *"));
    table.add(fn("a", "*/2 * * * *"));
    expect(clock.pending).toBe(1);
    clock.advance(4 * 60_000);
    expect(fired.map((f) => f.scheduled)).toEqual(["2026-01-01T00:02:00.000Z", "2026-01-01T00:04:00.000Z"]);
    expect(table.remove("a.openfaas-fn")).toBe(true);
    expect(table.remove("a.openfaas-fn")).toBe(false);
    clock.advance(10 * 60_000);
    expect(fired).toHaveLength(2);
    expect(clock.pending).toBe(0);
  });

  it("a schedule without a future activation is not added", () => {
    const { table, fn, clock } = setup();
    expect(table.add(fn("never", "0 0 30 2 *"))).toBe(false);
    expect(table.functions).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it("clear unschedules everything", () => {
    const { table, fn, clock } = setup();
    table.add(fn("a", "* * * * *"));
    table.add(fn("b", "* * * * *"));
    table.clear();
    expect(table.functions).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});
