import { readFile } from "node:fs/promises";

/**
 * A process as the kernel knows it: its pid plus its start time (field 22 of `/proc/<pid>/stat`,
 * clock ticks since boot). A pid is reused once its process is gone; the pair is not, so a
 * recorded identity lets the sandbox signal its own process and never a stranger that got the pid.
 */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
}

/** Reads `/proc/<pid>/stat`: the start time and whether the process is a zombie; undefined if there is none (or no /proc). */
async function procStat(pid: number): Promise<{ startTime: string; zombie: boolean } | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces or ')': split after the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
  const startTime = fields[19];
  return startTime === undefined ? undefined : { startTime, zombie: fields[0] === "Z" };
}

/** Whether `/proc` can tell process identities here (Linux); elsewhere nothing is ever signalled by identity. */
export async function canVerifyIdentity(): Promise<boolean> {
  return (await procStat(process.pid)) !== undefined;
}

/** The identity of a live process, or undefined when it is gone (a zombie counts as gone) or cannot be read. */
export async function identityOf(pid: number): Promise<ProcessIdentity | undefined> {
  const stat = await procStat(pid);
  return stat && !stat.zombie ? { pid, startTime: stat.startTime } : undefined;
}

/** Whether the process recorded as `identity` still runs: same pid, same start time, not a zombie. */
export async function isRunning(identity: ProcessIdentity): Promise<boolean> {
  const now = await identityOf(identity.pid);
  return now !== undefined && now.startTime === identity.startTime;
}
