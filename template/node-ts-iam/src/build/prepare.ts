/**
 * The function step of the image build (Dockerfile: `RUN node ../dist/build/prepare.js` in the function
 * folder): chooses the handler (discover.ts), leaves out the template's sample files the function does
 * not use, compiles TypeScript, and records the module the server is to load (entry-record.ts). A folder
 * it cannot build stops the build with a message naming the files.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeEntryRecord } from "../entry-record.js";
import { checkModuleFormat, compiledEntry, discoverHandler, DiscoveryError, isSampleFile } from "./discover.js";

const log = (line: string): void => void process.stdout.write(`node-ts-iam build: ${line}\n`);

/** Folders never searched for TypeScript sources. */
const SKIP_DIRS = new Set(["node_modules", "dist", "build", "template"]);

/** Whether the folder holds TypeScript sources (declaration files aside). */
function hasTypeScript(dir: string): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith(".") && hasTypeScript(join(dir, entry.name))) return true;
    } else if (/\.[mc]?ts$/.test(entry.name) && !/\.d\.[mc]?ts$/.test(entry.name)) {
      return true;
    }
  }
  return false;
}

/** What the build reads from the folder's package.json (`type` and `scripts.test`), if it has one. */
function readPackage(dir: string): { type?: string; test?: string } {
  const file = join(dir, "package.json");
  if (!existsSync(file)) return {};
  let parsed: { type?: unknown; scripts?: { test?: unknown } } | null;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8")) as typeof parsed;
  } catch {
    throw new DiscoveryError("package.json is not valid JSON");
  }
  const type = parsed?.type;
  const test = parsed?.scripts?.test;
  return { ...(typeof type === "string" ? { type } : {}), ...(typeof test === "string" ? { test } : {}) };
}

/** Runs the TypeScript compiler the template installs, on the folder's tsconfig.json. */
function compile(dir: string): void {
  if (!existsSync(join(dir, "tsconfig.json"))) {
    throw new DiscoveryError("the folder has TypeScript but no tsconfig.json (the template's sample has one: keep it, or add your own)");
  }
  const tsc = join(dirname(require.resolve("typescript/package.json")), "bin", "tsc");
  log("compiling TypeScript: tsc -p .");
  const run = spawnSync(process.execPath, [tsc, "-p", "."], { cwd: dir, stdio: "inherit" });
  if (run.status !== 0) throw new DiscoveryError(`tsc -p . failed (exit ${run.status ?? run.signal}): see its messages above`);
}

/** Prepares the function folder `dir`; throws DiscoveryError for a folder that cannot be built. */
export function prepareFunction(dir: string): void {
  const pkg = readPackage(dir);
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => ({ name: entry.name, sample: isSampleFile(dir, entry.name) }));
  const found = discoverHandler(files, pkg.test);
  const samplePackage = files.some((file) => file.name === "package.json" && file.sample);
  log(`handler: ${found.handler}${files.some((f) => f.name === found.handler && f.sample) ? " (the template's sample)" : ""}`);
  for (const name of found.dropSamples) {
    rmSync(join(dir, name));
    log(`left out the template's sample ${name}: ${name === "handler.test.ts" ? "the test script does not run it" : `${found.handler} is the handler`}`);
  }
  if (!found.typescript) checkModuleFormat(found.handler, pkg.type, readFileSync(join(dir, found.handler), "utf8"), samplePackage);
  if (found.typescript || hasTypeScript(dir)) compile(dir);
  const entry = compiledEntry(found.handler);
  if (!existsSync(join(dir, entry))) {
    throw new DiscoveryError(`tsc wrote no ${entry} from ${found.handler}: the function's tsconfig.json must compile it into dist/ (outDir "dist", rootDir ".")`);
  }
  writeEntryRecord(dir, { entry, source: found.handler });
  log(`the server loads ${entry}`);
}

if (require.main === module) {
  try {
    prepareFunction(process.cwd());
  } catch (error) {
    if (!(error instanceof DiscoveryError)) throw error;
    process.stderr.write(`node-ts-iam build: error: ${error.message}\n`);
    process.exitCode = 1;
  }
}
