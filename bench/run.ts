/**
 * `npm run bench`: runs every `*.bench.js` module beside this file (or those named as arguments)
 * and prints their tables. Ratios are taken within one run against a baseline measured alongside.
 */
import { readdirSync } from "node:fs";
import { cpus } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { renderSection, type BenchModule } from "./report.js";

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const modules = readdirSync(here)
  .filter((f) => f.endsWith(".bench.js"))
  .filter((f) => wanted.length === 0 || wanted.includes(basename(f, ".bench.js")))
  .sort();

const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
console.log(`# node-ts-iam benchmarks\n\nNode ${process.version}, ${cpus().length} cores, ${new Date().toISOString()}\n`);
for (const file of modules) {
  log(`running ${file}`);
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: BenchModule };
  for (const section of await mod.default(log)) console.log(renderSection(section) + "\n");
}
