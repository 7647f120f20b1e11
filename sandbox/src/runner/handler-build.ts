import { spawn } from "node:child_process";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
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

const LOCK_STALE_MS = 120_000;

/**
 * Holds a lock directory beside the handler while `work` runs, so sandboxes in several processes
 * (parallel test workers) never compile the same handler at once, nor load a half-written file.
 */
async function withBuildLock<T>(handlerDir: string, work: () => Promise<T>): Promise<T> {
  const lock = join(handlerDir, ".sandbox-build.lock");
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, "pid"), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      // A lock left by a process that is gone (Ctrl-C mid-build) is taken over at once.
      const owner = Number(await readFile(join(lock, "pid"), "utf8").catch(() => ""));
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if ((owner > 0 && !isAlive(owner)) || age > LOCK_STALE_MS) await rm(lock, { recursive: true, force: true });
      else await sleep(50);
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function isUpToDate(handlerDir: string): Promise<boolean> {
  const built = await stat(handlerEntry(handlerDir)).then((s) => s.mtimeMs, () => 0);
  return built > 0 && built >= (await newestSource(handlerDir));
}

/**
 * Compiles a handler folder with `tsc -p` unless `dist/handler.js` is newer than every source.
 * Returns whether it compiled.
 */
export async function buildHandler(root: string, handlerDir: string): Promise<boolean> {
  return withBuildLock(handlerDir, async () => {
    if (await isUpToDate(handlerDir)) return false;
    await runTsc(root, ["-p", handlerDir], root);
    return true;
  });
}
