/** Starting a built function as the watchdog would: `fprocess` from template.yml, in the ship folder. */
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { FaasBuild } from "./faas-build.js";
import { startChild, type ChildServer } from "./process.js";

/** Starts `build.fprocess` (split on spaces, no shell, as the watchdog does) with the ship stage's ENV. */
export function startShipped(build: FaasBuild, env: Record<string, string> = {}): Promise<ChildServer> {
  const [command, ...args] = build.fprocess.trim().split(/\s+/);
  if (command === undefined) throw new Error("template.yml: empty fprocess");
  return startChild({
    command: command === "node" ? process.execPath : command,
    args,
    cwd: build.shipDir,
    env: { ...build.shipEnv, ...env },
    readyPath: build.shipEnv["ready_path"] ?? "/_/ready",
  });
}

/** Every file under `dir` (relative paths), not following symlinks. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(relative(dir, full));
    }
  };
  walk(dir);
  return out;
}

/** Whether `path` exists as a directory. */
export function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
