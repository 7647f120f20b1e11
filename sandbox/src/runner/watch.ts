/**
 * `--watch`: a changed file in a function's folder rebuilds that function and restarts its processes,
 * alone. Node's recursive `fs.watch` would also watch every folder of `node_modules` (thousands, after
 * an `npm install`) and of the build output, so the tree is watched folder by folder, leaving out what
 * a build or an install writes, and a folder created later is picked up when it appears.
 */
import { watch, type FSWatcher } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join, sep } from "node:path";
import type { FunctionRecord } from "../state/model.js";
import type { FunctionRunner } from "./function-runner.js";
import { buildHandler } from "./handler-build.js";
import type { StackFunction } from "./stack.js";

/** What {@link watchFunctions} needs of the sandbox. */
export interface WatchedFunctions {
  /** The stack's runnable functions by the image they build. */
  stackImages: ReadonlyMap<string, StackFunction>;
  /** The deployments now recorded (faas-cli may deploy one image under several names). */
  records: () => readonly FunctionRecord[];
  runner: Pick<FunctionRunner, "apply">;
  log: (line: string) => void;
}

/**
 * Watches every stack function's folder: a change rebuilds the folder in place; a build that fails is
 * logged and the running version keeps serving; a build that passes restarts every deployment of the
 * image the folder builds. Returns the watcher (`close()` stops it).
 */
export function watchFunctions({ stackImages, records, runner, log }: WatchedFunctions): TreeWatcher {
  const rebuild = serialised(async (dir: string) => {
    const started = Date.now();
    log(`watch: ${dir} changed: rebuilding`);
    try {
      await buildHandler(dir);
    } catch (err) {
      log(`watch: the build failed, the running version keeps serving: ${(err as Error).message}`);
      return;
    }
    for (const record of records()) {
      if (stackImages.get(record.deployment.image)?.handler !== dir || record.replicas === 0) continue;
      const name = `${record.deployment.service}.${record.deployment.namespace}`;
      try {
        await runner.apply(record);
        log(`watch: function ${name} restarted with the new build (${Date.now() - started} ms after the change)`);
      } catch (err) {
        log(`watch: function ${name} did not start: ${(err as Error).message}`);
      }
    }
  });
  log("watch: a changed file in a function's folder rebuilds and restarts that function");
  return new TreeWatcher([...new Set([...stackImages.values()].map((f) => f.handler))], (dir) => void rebuild(dir));
}

/**
 * Runs `work` for one key at a time: a call while the key's work runs is queued once (a burst of
 * changes during a build makes one more build, not one per change).
 */
function serialised(work: (key: string) => Promise<void>): (key: string) => Promise<void> {
  const running = new Map<string, Promise<void>>();
  const again = new Set<string>();
  const run = (key: string): Promise<void> => {
    const current = running.get(key);
    if (current) {
      again.add(key);
      return current;
    }
    const next = work(key).finally(() => {
      running.delete(key);
      if (again.delete(key)) void run(key);
    });
    running.set(key, next);
    return next;
  };
  return run;
}

/** Folders and files no edit of the user's makes: installs, build output, lock and record files, tools' state. */
function ignored(name: string): boolean {
  return name === "node_modules" || name === "dist" || name === "build" || name.startsWith(".") || name.endsWith(".tsbuildinfo");
}

/** Calls back (debounced) when a file under one of the folders changes; `close()` stops watching. */
export class TreeWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  /**
   * @param roots - the folders to watch, each reported by itself.
   * @param onChange - called with the root whose tree changed, `debounceMs` after the last change of a burst (an editor's save, a `git checkout`).
   */
  constructor(
    roots: readonly string[],
    private readonly onChange: (root: string) => void,
    private readonly debounceMs = 300,
  ) {
    for (const root of roots) void this.add(root, root);
  }

  /** Watches `dir` and, below it, every folder that is not {@link ignored}. */
  private async add(root: string, dir: string): Promise<void> {
    if (this.closed || this.watchers.has(dir)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, name) => {
        if (name === null) return this.changed(root);
        const file = name.toString();
        if (file.split(sep).some(ignored)) return;
        // A new folder (or one renamed into place) gets watched too; a file only counts as a change.
        const path = join(dir, file);
        void stat(path).then((s) => (s.isDirectory() ? this.add(root, path) : undefined), () => undefined);
        this.changed(root);
      });
    } catch {
      return; // not a folder, or gone already
    }
    watcher.on("error", () => this.forget(dir));
    this.watchers.set(dir, watcher);
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) if (entry.isDirectory() && !ignored(entry.name)) await this.add(root, join(dir, entry.name));
  }

  private forget(dir: string): void {
    this.watchers.get(dir)?.close();
    this.watchers.delete(dir);
  }

  private changed(root: string): void {
    if (this.closed) return;
    clearTimeout(this.timers.get(root));
    const timer = setTimeout(() => {
      this.timers.delete(root);
      this.onChange(root);
    }, this.debounceMs);
    timer.unref();
    this.timers.set(root, timer);
  }

  /** Stops every watcher and pending call. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const dir of [...this.watchers.keys()]) this.forget(dir);
  }
}
