/**
 * `npm run bench`: runs every `*.bench.js` module beside this file (or those named as arguments)
 * and prints their tables. Ratios are taken within one run against a baseline measured alongside.
 *
 * Each module runs in a fresh Node process, one after another: a module that leaves a large heap,
 * child processes or timers behind must not skew the tail latencies the next one measures.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { cpus } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { renderSection, type BenchModule } from "./report.js";

const here = dirname(fileURLToPath(import.meta.url));
const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
const ONE = "--module";

if (process.argv[2] === ONE) {
  const file = process.argv[3] ?? "";
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: BenchModule };
  for (const section of await mod.default(log)) console.log(renderSection(section) + "\n");
} else {
  const wanted = process.argv.slice(2);
  const modules = readdirSync(here)
    .filter((f) => f.endsWith(".bench.js"))
    .filter((f) => wanted.length === 0 || wanted.includes(basename(f, ".bench.js")))
    .sort();
  if (modules.length === 0) throw new Error(`no benchmark module matches ${wanted.join(", ")}`);
  console.log(`# node-ts-iam benchmarks\n\nNode ${process.version}, ${cpus().length} cores, ${new Date().toISOString()}\n`);
  for (const file of modules) {
    log(`running ${file} in its own process`);
    const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ONE, file], {
      stdio: ["ignore", "inherit", "inherit"],
    });
    if (run.status !== 0) {
      log(`${file} failed (exit ${run.status ?? run.signal})`);
      process.exitCode = 1;
    }
  }
}
