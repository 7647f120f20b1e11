import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { canVerifyIdentity, identityOf, isRunning, type ProcessIdentity } from "./process-identity.js";

/** The file in a pod directory that records its process (pid, start time, server script). */
export const POD_PID_FILE = "pid.json";
const TERM_GRACE_MS = 5_000;
const KILL_WAIT_MS = 2_000;

interface PodPidRecord extends ProcessIdentity {
  script: string;
}

/** Records a pod's process in `<podDir>/pid.json`, so a later start of the same state directory can find it. */
export async function recordPodProcess(podDir: string, pid: number, script: string): Promise<void> {
  const identity = await identityOf(pid);
  if (!identity) return; // gone already, or no /proc: nothing that could be verified later
  const record: PodPidRecord = { ...identity, script };
  await writeFile(join(podDir, POD_PID_FILE), JSON.stringify(record), { mode: 0o600 });
}

/**
 * Stops the function processes a previous sandbox left running under `runDir` (it was killed with
 * `kill -9`, or its pods could not notice). Only processes recorded in this state directory's pod
 * pid files are considered, and only when pid and start time still match the record (a reused pid
 * belongs to someone else) and the command line still names the recorded server script: other
 * sandboxes on the machine, and every other process, are never signalled. SIGTERM first (with
 * SIGCONT, so a stopped process can act on it), SIGKILL after a grace period. Returns the pids stopped.
 */
export async function stopOrphanedPods(runDir: string, log: (line: string) => void): Promise<number[]> {
  const records = await podPidRecords(runDir);
  if (records.length === 0) return [];
  if (!(await canVerifyIdentity())) {
    log(`found ${records.length} pod pid file(s) of an earlier run, but this system has no /proc to verify them: not signalled`);
    return [];
  }
  const stopped: number[] = [];
  for (const record of records) {
    if (!(await isRunning(record)) || !(await commandLineNames(record.pid, record.script))) continue;
    log(`stopping pid ${record.pid}, a function process an earlier sandbox run left behind`);
    signal(record.pid, "SIGTERM");
    signal(record.pid, "SIGCONT");
    if (!(await exitsWithin(record, TERM_GRACE_MS))) {
      signal(record.pid, "SIGKILL");
      await exitsWithin(record, KILL_WAIT_MS);
    }
    stopped.push(record.pid);
  }
  return stopped;
}

async function podPidRecords(runDir: string): Promise<PodPidRecord[]> {
  const out: PodPidRecord[] = [];
  const pods = join(runDir, "pods");
  for (const namespace of await readdir(pods).catch(() => [] as string[])) {
    for (const pod of await readdir(join(pods, namespace)).catch(() => [] as string[])) {
      const text = await readFile(join(pods, namespace, pod, POD_PID_FILE), "utf8").catch(() => undefined);
      if (text === undefined) continue;
      try {
        const r = JSON.parse(text) as Partial<PodPidRecord>;
        if (Number.isInteger(r.pid) && r.pid! > 1 && typeof r.startTime === "string" && typeof r.script === "string") out.push(r as PodPidRecord);
      } catch {
        // A torn or foreign file identifies nothing.
      }
    }
  }
  return out;
}

async function commandLineNames(pid: number, script: string): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return cmdline.split("\0").includes(script);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Exited in the meantime.
  }
}

async function exitsWithin(identity: ProcessIdentity, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!(await isRunning(identity))) return true;
    await sleep(50);
  }
  return !(await isRunning(identity));
}
