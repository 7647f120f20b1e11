/**
 * `npm run bench`: runs every `*.bench.js` module beside this file, prints their tables, and writes
 * bench/RESULTS.md from that one run. `npm run bench -- sdk template` runs only those modules and prints
 * their tables without touching RESULTS.md: its figures always come from one complete run. A run in
 * which a module fails writes nothing either.
 *
 * Each module runs in a fresh Node process, one after another: a module that leaves a large heap,
 * child processes or timers behind must not skew the tail latencies the next one measures. With
 * `NODE22=/path/to/node`, the modules whose figures depend on the Node version the image runs
 * ({@link NODE22_MODULES}) run a second time under that binary.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { renderSection, type BenchModule, type BenchSection } from "./report.js";
import { describeMachine, formatDuration, loadNow, renderResults, type ModuleResult } from "./results.js";

/** Modules measured under Node 22 too when `NODE22` names a binary: the image runs Node 22. */
export const NODE22_MODULES: ReadonlySet<string> = new Set(["template"]);

/** How one `npm run bench` runs. */
export interface BenchOptions {
  /** The folder of the compiled `*.bench.js` modules. */
  readonly modulesDir: string;
  /** Module names to run; empty: all of them, and RESULTS.md is written. */
  readonly wanted: readonly string[];
  /** A second Node binary for {@link NODE22_MODULES}. */
  readonly node22?: string | undefined;
  /** Where the results of a complete run go. */
  readonly resultsFile: string;
  /** The command as typed, for RESULTS.md. */
  readonly command: string;
  readonly log: (line: string) => void;
}

/** What a run did. */
export interface BenchOutcome {
  readonly results: readonly ModuleResult[];
  /** Modules (with the Node that ran them) that failed. */
  readonly failed: readonly string[];
  /** Whether RESULTS.md was written. */
  readonly written: boolean;
}

/** Runs one module in a child process of `node`; its tables go to stdout, its sections to the result. */
function runModule(node: string, modulesDir: string, file: string, log: (line: string) => void): Promise<ModuleResult | undefined> {
  const work = mkdtempSync(join(tmpdir(), "bench-module-"));
  const out = join(work, "sections.json");
  const started = performance.now();
  return new Promise((resolveRun) => {
    const child = spawn(node, [fileURLToPath(import.meta.url), "--module", join(modulesDir, file), "--json", out], { stdio: ["ignore", "inherit", "inherit"] });
    let finished = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      // "error" (it did not start) may be followed by "exit": settle once.
      if (finished) return;
      finished = true;
      const name = basename(file, ".bench.js");
      try {
        if (code !== 0) {
          log(`${file} failed (exit ${code ?? signal})`);
          return resolveRun(undefined);
        }
        const { node: version, sections } = JSON.parse(readFileSync(out, "utf8")) as { node: string; sections: BenchSection[] };
        resolveRun({ module: name, node: version, sections, durationMs: performance.now() - started });
      } catch (error) {
        log(`${file} left no results: ${error instanceof Error ? error.message : String(error)}`);
        resolveRun(undefined);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    };
    child.once("error", (error) => {
      log(`${file} did not start under ${node}: ${error.message}`);
      finish(1, null);
    });
    child.once("exit", finish);
  });
}

/** The `--version` of a Node binary, or an error naming it. */
function nodeVersion(node: string): string {
  const run = spawnSync(node, ["--version"], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`NODE22=${node} is not a Node binary that runs (${run.error?.message ?? run.stderr.trim()})`);
  return run.stdout.trim();
}

/** Runs the modules one after another; writes RESULTS.md when all of them ran and none failed. */
export async function runBench(options: BenchOptions): Promise<BenchOutcome> {
  const { modulesDir, wanted, log } = options;
  const files = readdirSync(modulesDir)
    .filter((f) => f.endsWith(".bench.js"))
    .filter((f) => wanted.length === 0 || wanted.includes(basename(f, ".bench.js")))
    .sort();
  const unknown = wanted.filter((name) => !files.includes(`${name}.bench.js`));
  if (unknown.length > 0) throw new Error(`no benchmark module named ${unknown.join(", ")} in ${modulesDir}`);
  if (files.length === 0) throw new Error(`no benchmark module (*.bench.js) in ${modulesDir}`);
  if (options.node22 !== undefined) {
    const version = nodeVersion(options.node22);
    if (!version.startsWith("v22.")) log(`NODE22=${options.node22} is Node ${version}, not 22: measuring with it anyway`);
  }
  const machine = describeMachine();
  const startedAt = new Date();
  const started = performance.now();
  const results: ModuleResult[] = [];
  const failed: string[] = [];
  for (const file of files) {
    const nodes = [process.execPath, ...(options.node22 !== undefined && NODE22_MODULES.has(basename(file, ".bench.js")) ? [options.node22] : [])];
    for (const node of nodes) {
      log(`running ${file} in its own process (${node === process.execPath ? `Node ${process.version}` : `NODE22=${node}`})`);
      const result = await runModule(node, modulesDir, file, log);
      if (result) {
        results.push(result);
        log(`${file} took ${formatDuration(result.durationMs)}`);
      } else {
        failed.push(`${file} (${node})`);
      }
    }
  }
  const durationMs = performance.now() - started;
  const complete = wanted.length === 0 && failed.length === 0;
  if (complete) {
    writeFileSync(options.resultsFile, renderResults({ command: options.command, startedAt, durationMs, machine: { ...machine, loadAtEnd: loadNow() }, results }));
    log(`wrote ${options.resultsFile} (the whole run took ${formatDuration(durationMs)})`);
  } else {
    const why = failed.length > 0 ? `${failed.length} module run(s) failed` : "only some modules ran";
    log(`${why}: ${options.resultsFile} left as it was (it holds complete runs only); took ${formatDuration(durationMs)}`);
  }
  return { results, failed, written: complete };
}

/** The child side: runs one module, prints its tables, and leaves its sections for the parent. */
async function runOneModule(file: string, out: string, log: (line: string) => void): Promise<void> {
  const mod = (await import(pathToFileURL(file).href)) as { default: BenchModule };
  const sections = await mod.default(log);
  for (const section of sections) console.log(`${renderSection(section)}\n`);
  writeFileSync(out, JSON.stringify({ node: process.version, sections }));
}

/**
 * What each variable that changes a run names, written in the command in place of its value: RESULTS.md
 * holds no path of the machine it ran on (the bench README says how to make each).
 */
const VARIABLE_MEANING: Readonly<Record<string, string>> = {
  NODE22: "<a Node 22 binary>",
  UPSTREAM_NODE22_DIR: "<openfaas/templates template/node22, npm installed>",
};

/** The command as typed, with the environment variables that change what a run measures (by meaning, not path). */
export function commandLine(args: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const set = Object.keys(VARIABLE_MEANING).filter((name) => env[name]).map((name) => `${name}=${VARIABLE_MEANING[name]}`);
  return [...set, "npm run bench", ...(args.length > 0 ? ["--", ...args] : [])].join(" ");
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
  const args = process.argv.slice(2);
  if (args[0] === "--module") {
    await runOneModule(args[1] ?? "", args[3] ?? "", log);
  } else {
    const here = dirname(fileURLToPath(import.meta.url));
    console.log(`# node-ts-iam benchmarks\n\nNode ${process.version}, ${new Date().toISOString()}\n`);
    const outcome = await runBench({
      modulesDir: here,
      wanted: args,
      node22: process.env["NODE22"] || undefined,
      // bench/dist/run.js writes bench/RESULTS.md.
      resultsFile: resolve(here, "../RESULTS.md"),
      command: commandLine(args),
      log,
    });
    if (outcome.failed.length > 0) process.exitCode = 1;
  }
}
