import type { AuditLine } from "../audit-log.js";
import { scanAudit, type ScanStats } from "./audit-reader.js";
import { PolicyToolError } from "./errors.js";
import { tokenSubject } from "./identity.js";

/** Decisions of one subject on one action and resource with one outcome, counted. */
export interface Observation {
  /** The subject as its token names it (`fed:` removed: the gateway adds it to access tokens). */
  subject: string;
  action: string;
  resource: string;
  allowed: boolean;
  count: number;
  first: string;
  last: string;
  /** The token issuers the decisions recorded (`fed:iss`). */
  issuers: string[];
  /** Up to three distinct reasons the gateway gave. */
  reasons: string[];
}

/** One sandbox run seen in the audit log. */
export interface RunInfo {
  /** The run id; "" for lines written before runs were recorded. */
  id: string;
  first: string;
  last: string;
  decisions: number;
}

/** Decisions aggregated per run and subject. */
export interface Evidence {
  stats: ScanStats;
  /** Runs, oldest first (by their first decision). */
  runs: RunInfo[];
  /** run → subject → observations. */
  byRun: Map<string, Map<string, Observation[]>>;
}

/** Names a run for people: its id (or what its absence means), when it started and how much it decided. */
export function describeRun(run: RunInfo): string {
  return `${run.id === "" ? "(lines without a run id, written before runs were recorded)" : run.id} (${run.first} to ${run.last}, ${run.decisions} decisions)`;
}

/** How many distinct reasons an observation keeps. */
const MAX_REASONS = 3;

/** Adds decisions of the same subject, action, resource and outcome to `into` (its issuers are sorted by the caller at the end). */
function absorb(into: Observation, from: Pick<Observation, "count" | "first" | "last" | "issuers" | "reasons">): void {
  into.count += from.count;
  if (from.first < into.first) into.first = from.first;
  if (from.last > into.last) into.last = from.last;
  for (const issuer of from.issuers) if (!into.issuers.includes(issuer)) into.issuers.push(issuer);
  for (const reason of from.reasons) if (into.reasons.length < MAX_REASONS && !into.reasons.includes(reason)) into.reasons.push(reason);
}

/** `o` with its issuers in order, for stable output. */
function sortedIssuers(o: Observation): Observation {
  o.issuers.sort();
  return o;
}

/** Reads `logs` and aggregates decisions per run and subject. Refuses a log with no decision at all. */
export async function collectEvidence(logs: readonly string[], options: { since?: Date } = {}): Promise<Evidence> {
  const runs = new Map<string, RunInfo>();
  const byRun = new Map<string, Map<string, Map<string, Observation>>>();
  const visit = (line: AuditLine) => {
    const runId = line.run ?? "";
    let run = runs.get(runId);
    if (!run) runs.set(runId, (run = { id: runId, first: line.time, last: line.time, decisions: 0 }));
    run.decisions++;
    if (line.time < run.first) run.first = line.time;
    if (line.time > run.last) run.last = line.time;
    const subject = tokenSubject(line.subject);
    let subjects = byRun.get(runId);
    if (!subjects) byRun.set(runId, (subjects = new Map()));
    let keyed = subjects.get(subject);
    if (!keyed) subjects.set(subject, (keyed = new Map()));
    const key = `${line.action}\u0000${line.resource}\u0000${line.allowed}`;
    let o = keyed.get(key);
    if (!o) keyed.set(key, (o = { subject, action: line.action, resource: line.resource, allowed: line.allowed, count: 0, first: line.time, last: line.time, issuers: [], reasons: [] }));
    absorb(o, { count: 1, first: line.time, last: line.time, issuers: line.issuer ? [line.issuer] : [], reasons: line.reason ? [line.reason] : [] });
  };
  const stats = await scanAudit(logs, visit, options.since);
  const files = stats.files.join(", ") || "(no files)";
  if (stats.decisions === 0) {
    const malformed = stats.malformed > 0 ? ` (${stats.malformed} malformed line(s) skipped, e.g. ${stats.malformedExamples[0]})` : "";
    throw new PolicyToolError("EMPTY_AUDIT_LOG", `the audit log holds no decision${malformed}: ${files}. Run your function's tests against the sandbox first`);
  }
  if (runs.size === 0) throw new PolicyToolError("EMPTY_AUDIT_LOG", `no decision of the audit log is at or after --since (${stats.beforeSince} older ones skipped): ${files}`);
  const out = new Map<string, Map<string, Observation[]>>();
  for (const [runId, subjects] of byRun) out.set(runId, new Map([...subjects].map(([s, keyed]) => [s, [...keyed.values()].map(sortedIssuers)])));
  return { stats, runs: [...runs.values()].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0)), byRun: out };
}

/** Which runs to use: one by id, all of them, or (default) the latest. */
export interface RunSelection {
  run?: string;
  allRuns?: boolean;
}

/** Merges observations of the same subject, action, resource and outcome. */
export function mergeObservations(lists: readonly Observation[][]): Observation[] {
  const merged = new Map<string, Observation>();
  for (const o of lists.flat()) {
    const key = `${o.subject}\u0000${o.action}\u0000${o.resource}\u0000${o.allowed}`;
    const m = merged.get(key);
    if (m) absorb(m, o);
    else merged.set(key, { ...o, issuers: [...o.issuers], reasons: [...o.reasons] });
  }
  return [...merged.values()].map(sortedIssuers);
}

/**
 * The observations of `subject` in the selected runs. The default is the latest run of the log: a
 * log that a persistent state folder kept across restarts holds earlier runs, made with other
 * manifests or code, which must not silently count. When the latest run has nothing of `subject`
 * but an earlier one has, that is refused naming those runs (`--run ID` or `--all-runs` chooses).
 */
export function observationsOf(evidence: Evidence, subject: string, selection: RunSelection = {}): { observations: Observation[]; runs: RunInfo[]; ignored: RunInfo[] } {
  const of = (run: RunInfo) => evidence.byRun.get(run.id)?.get(subject) ?? [];
  let chosen: RunInfo[];
  if (selection.allRuns) chosen = evidence.runs;
  else if (selection.run !== undefined) {
    const run = evidence.runs.find((r) => r.id === selection.run);
    if (!run) throw new PolicyToolError("OTHER_RUN", `run ${selection.run} is not in the audit log; its runs are: ${evidence.runs.map(describeRun).join("; ")}`);
    chosen = [run];
  } else chosen = [evidence.runs.at(-1)!];
  const ignored = evidence.runs.filter((r) => !chosen.includes(r));
  const observations = mergeObservations(chosen.map(of));
  // Merged runs are named only when they hold something of this subject.
  if (chosen.length > 1) chosen = chosen.filter((r) => of(r).length > 0);
  if (observations.length === 0) {
    const elsewhere = ignored.filter((r) => of(r).length > 0);
    if (elsewhere.length > 0) {
      throw new PolicyToolError(
        "OTHER_RUN",
        `no decision of ${subject} in ${chosen.length === 1 ? `sandbox run ${describeRun(chosen[0]!)}` : "the runs selected"}; ` +
          `the log has some from another run: ${elsewhere.map(describeRun).join("; ")}. Pass --run ID to use one of them, or --all-runs to merge every run`,
      );
    }
    throw new PolicyToolError("NO_EVIDENCE", `no decision of ${subject} in the audit log (${evidence.runs.length} run(s), ${evidence.stats.decisions} decisions): did its tests run against this sandbox, and does its token exchange succeed?`);
  }
  return { observations, runs: chosen, ignored };
}
