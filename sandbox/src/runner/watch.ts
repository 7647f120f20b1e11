/**
 * `--watch`: notices a changed file in a function's folder. Node's recursive `fs.watch` would also
 * watch every folder of `node_modules` (thousands, after an `npm install`) and of the build output, so
 * the tree is watched folder by folder, leaving out what a build or an install writes, and a folder
 * created later is picked up when it appears.
 */
import { watch, type FSWatcher } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join, sep } from "node:path";

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
