import { spawn } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** Newest modification time (ms) of the TypeScript sources and tsconfig under `dir` (skipping dist, node_modules). */
async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === "dist" || entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, await newestSource(path));
    else if (/\.(ts|mts|cts|json)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) newest = Math.max(newest, (await stat(path)).mtimeMs);
  }
  return newest;
}

/** The compiled handler module of a handler folder (its tsconfig has rootDir ".", outDir "dist"). */
export function handlerEntry(handlerDir: string): string {
  return join(handlerDir, "dist", "handler.js");
}

/** The `tsc` entry script of the TypeScript compiler the repository installs. */
export function tscPath(root: string): string {
  // Only package.json is exported by the typescript package; the bin script sits beside it.
  return join(dirname(createRequire(join(root, "package.json")).resolve("typescript/package.json")), "bin", "tsc");
}

/** Runs tsc with `args` in `cwd`; rejects with its output when it fails. */
export function runTsc(root: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tscPath(root), ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`tsc ${args.join(" ")} failed (exit ${code}):\n${output.trim()}`))));
  });
}

/**
 * Compiles a handler folder with `tsc -p` unless `dist/handler.js` is newer than every source.
 * Returns whether it compiled.
 */
export async function buildHandler(root: string, handlerDir: string): Promise<boolean> {
  const entry = handlerEntry(handlerDir);
  const built = await stat(entry).then((s) => s.mtimeMs, () => 0);
  if (built > 0 && built >= (await newestSource(handlerDir))) return false;
  await runTsc(root, ["-p", handlerDir], root);
  return true;
}
