import { existsSync, readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { compiledEntry, discoverHandler, DiscoveryError, isSampleFile, type HandlerName } from "node-ts-iam-template/dist/build/discover.js";
import { runTsc } from "./toolchain.js";

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

const LOCK_STALE_MS = 120_000;

/**
 * Holds a lock directory in the folder being built (a handler's, a template's) while `work` runs, so
 * sandboxes in several processes (parallel test workers) never compile it at once, nor load a
 * half-written file.
 */
export async function withBuildLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const lock = join(dir, ".sandbox-build.lock");
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

/** Whether `entry` was written after every source of the folder changed. */
async function isUpToDate(handlerDir: string, entry: string): Promise<boolean> {
  const built = await stat(entry).then((s) => s.mtimeMs, () => 0);
  return built > 0 && built >= (await newestSource(handlerDir));
}

/** A function folder that cannot be built or loaded here; the message names the folder and what to do. */
export class FunctionBuildError extends Error {
  override readonly name = "FunctionBuildError";
}

/** What the template server loads for a function folder. */
export interface HandlerModule {
  /** The handler's source file, chosen by the template's rules (`handler.ts`, …, `handler.mjs`). */
  source: HandlerName;
  /** Absolute path of the module to load: the source itself, or what tsc writes from it. */
  entry: string;
  typescript: boolean;
}

/** Whether the folder declares packages (the sample declares the SDK link and TypeScript's types) without having installed them. */
function missingInstall(handlerDir: string): boolean {
  if (existsSync(join(handlerDir, "node_modules"))) return false;
  try {
    const pkg = JSON.parse(readFileSync(join(handlerDir, "package.json"), "utf8")) as { dependencies?: object; devDependencies?: object };
    return Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).length > 0;
  } catch {
    return false;
  }
}

/**
 * Builds a function folder in place, as its own `npm run build` would: picks the handler by the
 * template's rules (the same code as the image build's), compiles TypeScript with the sandbox's tsc
 * unless the compiled module is newer than every source, and leaves a broken build's output unwritten
 * (`--noEmitOnError`), so that a running version is never replaced by it. Never deletes a file of the
 * folder (the image build leaves the template's unused sample files out of its copy; here they stay).
 */
export async function buildHandler(handlerDir: string): Promise<HandlerModule> {
  if (!existsSync(handlerDir)) throw new FunctionBuildError(`the handler folder ${handlerDir} does not exist`);
  let source: HandlerName;
  try {
    const files = (await readdir(handlerDir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => ({ name: e.name, sample: isSampleFile(handlerDir, e.name) }));
    source = discoverHandler(files, undefined).handler;
  } catch (err) {
    if (!(err instanceof DiscoveryError)) throw err;
    throw new FunctionBuildError(`${handlerDir}: ${err.message}`);
  }
  const entry = join(handlerDir, compiledEntry(source));
  const typescript = entry !== join(handlerDir, source);
  if (!typescript) return { source, entry, typescript };
  if (missingInstall(handlerDir)) {
    throw new FunctionBuildError(`${handlerDir}: its package.json declares packages that are not installed: run npm install in that folder (the sample's links @node-ts-iam/sdk and brings TypeScript's types)`);
  }
  await withBuildLock(handlerDir, async () => {
    if (await isUpToDate(handlerDir, entry)) return;
    await runTsc(["-p", handlerDir, "--noEmitOnError"], handlerDir).catch((err: Error) => {
      throw new FunctionBuildError(`${handlerDir}: ${err.message}`);
    });
    if (!existsSync(entry)) throw new FunctionBuildError(`${handlerDir}: tsc wrote no ${compiledEntry(source)} from ${source}: its tsconfig.json must compile it into dist/ (outDir "dist", rootDir ".")`);
  });
  return { source, entry, typescript };
}
