import { open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { identityOf, isRunning, type ProcessIdentity } from "../runner/process-identity.js";

/** The file in a state directory naming the sandbox process that uses it. */
export const OWNER_FILE = "sandbox.pid";

/**
 * Claims a state directory for this process: two sandboxes on one directory would overwrite each
 * other's state and, at start-up, stop each other's function processes as orphans. A claim left by
 * a sandbox that is gone (same pid and start time no longer running) is taken over. Rejects naming
 * the live owner. Resolves with the release function.
 */
export async function claimStateDir(dir: string): Promise<() => Promise<void>> {
  const file = join(dir, OWNER_FILE);
  const self: ProcessIdentity = (await identityOf(process.pid)) ?? { pid: process.pid, startTime: "" };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, "wx", 0o600);
      await handle.writeFile(JSON.stringify(self));
      await handle.close();
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = await readOwner(file);
    if (owner && (await ownerRuns(owner))) {
      throw new Error(`state directory ${dir} is in use by the sandbox with pid ${owner.pid}${owner.pid === process.pid ? " (this process)" : ""}; stop it first or choose another --state-dir`);
    }
    await rm(file, { force: true });
  }
  throw new Error(`state directory ${dir}: could not claim ${OWNER_FILE}`);
}

/** The sandbox process that owns `dir` right now, or `undefined` when none runs there. */
export async function liveOwner(dir: string): Promise<ProcessIdentity | undefined> {
  const owner = await readOwner(join(dir, OWNER_FILE));
  return owner && (await ownerRuns(owner)) ? owner : undefined;
}

async function readOwner(file: string): Promise<ProcessIdentity | undefined> {
  try {
    const r = JSON.parse(await readFile(file, "utf8")) as Partial<ProcessIdentity>;
    return Number.isInteger(r.pid) && typeof r.startTime === "string" ? (r as ProcessIdentity) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the recorded owner still runs; without /proc (start time "") only the pid can be probed. */
async function ownerRuns(owner: ProcessIdentity): Promise<boolean> {
  if (owner.startTime !== "") return isRunning(owner);
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
