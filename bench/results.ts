/**
 * bench/RESULTS.md: every figure of one `npm run bench`, with what it ran on. READMEs cite its sections
 * (one per module, `## <module>`) and copy no figure.
 */
import { cpus, loadavg, release, totalmem, type } from "node:os";
import { renderSection, type BenchSection } from "./report.js";

/** What one module measured in one Node process. */
export interface ModuleResult {
  /** The module's name: its file name without `.bench.js`. */
  readonly module: string;
  /** `process.version` of the Node that ran it. */
  readonly node: string;
  readonly sections: readonly BenchSection[];
  readonly durationMs: number;
}

/** The machine a run measured on. */
export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  /** One-minute load average when the run started and when it ended. */
  readonly loadAtStart: number;
  readonly loadAtEnd: number;
}

/** One complete run: every module, in the order they ran. */
export interface BenchRun {
  /** The command as typed, environment variables that change the run included. */
  readonly command: string;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly machine: Machine;
  readonly results: readonly ModuleResult[];
}

/** This machine, with its load average now (call again at the end for `loadAtEnd`). */
export function describeMachine(): Omit<Machine, "loadAtEnd"> {
  const cores = cpus();
  return {
    cpu: cores[0]?.model.replace(/\s+/g, " ").trim() ?? "unknown CPU",
    cores: cores.length,
    memoryGiB: totalmem() / 1024 ** 3,
    os: `${type()} ${release()}`,
    loadAtStart: loadavg()[0] ?? 0,
  };
}

/** `7 min 12 s`, `18 s`. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** The Node versions of a run: the one every module ran under, and the extra ones of some modules. */
function nodeSummary(results: readonly ModuleResult[]): string {
  const byNode = new Map<string, string[]>();
  for (const r of results) byNode.set(r.node, [...(byNode.get(r.node) ?? []), r.module]);
  const modules = new Set(results.map((r) => r.module));
  return [...byNode]
    .map(([node, names]) => (names.length === modules.size ? `${node} (every module)` : `${node} (${names.join(", ")})`))
    .join("; ");
}

/** The Markdown of bench/RESULTS.md for `run`. */
export function renderResults(run: BenchRun): string {
  const { machine } = run;
  const modules = [...new Set(run.results.map((r) => r.module))];
  const lines = [
    "# Benchmark results",
    "",
    "Written by `npm run bench` from one run of every module (bench/run.ts); do not edit it: run the",
    "command again. READMEs cite these sections and copy no figure. Every ratio is against a baseline",
    "measured in the same run on the same machine; on a shared machine, compare ratios, not raw figures.",
    "",
    "| run | |",
    "| --- | --- |",
    `| command | \`${run.command}\` |`,
    `| started | ${run.startedAt.toISOString()} |`,
    `| took | ${formatDuration(run.durationMs)} |`,
    `| machine | ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(1)} GiB, ${machine.os} |`,
    `| load average (1 min) | ${machine.loadAtStart.toFixed(2)} at the start, ${machine.loadAtEnd.toFixed(2)} at the end |`,
    `| Node | ${nodeSummary(run.results)} |`,
    "",
    `Sections: ${modules.map((m) => `[${m}](#${m})`).join(" · ")}`,
  ];
  for (const module of modules) {
    const runs = run.results.filter((r) => r.module === module);
    lines.push("", `## ${module}`);
    for (const r of runs) {
      // One Node: the sections sit right under the module; several: one heading per Node.
      const level = runs.length === 1 ? 3 : 4;
      if (runs.length === 1) lines.push("", `Node ${r.node}, ${formatDuration(r.durationMs)}.`);
      else lines.push("", `### Node ${r.node}`, "", `${formatDuration(r.durationMs)}.`);
      for (const section of r.sections) lines.push("", renderSection(section, level));
    }
  }
  return `${lines.join("\n")}\n`;
}

/** The machine's load average now, for {@link Machine.loadAtEnd}. */
export function loadNow(): number {
  return loadavg()[0] ?? 0;
}
