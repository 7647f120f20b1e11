import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { startSandbox } from "../../sandbox/src/index.js";
import { identityOf } from "../../sandbox/src/runner/process-identity.js";
import { FIXTURE_ROOT, FIXTURES, TEMPLATE_SERVER } from "./helpers.js";

// Issue 11, item 6: after `kill -9` of the sandbox no function process may keep running, and a next
// start must stop what is left, touching nothing outside its own state directory.

const children: ChildProcess[] = [];
const dirs: string[] = [];
/** Pids this test started or must make sure are gone at the end (killed by pid, never by name). */
const pids = new Set<number>();
/** SIGKILL by pid; a process that ended between the check and the signal (ESRCH) is what we wanted. */
function killGone(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null && c.pid) killGone(c.pid);
  for (const pid of pids) if (await identityOf(pid)) killGone(pid);
  pids.clear();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  functions: { name: string; pid: number }[];
}

/** Starts the sandbox (with its function processes) in a child process, so it can be killed with kill -9. */
function startChild(stateDir: string): Promise<Started> {
  const child = spawn(process.execPath, [join(FIXTURES, "durable-child.mjs"), FIXTURE_ROOT, stateDir, "functions"], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`sandbox child exited early (${code})`)));
    createInterface({ input: child.stdout! }).once("line", (line) => {
      const { functions } = JSON.parse(line) as { functions: { name: string; pid: number }[] };
      for (const f of functions) pids.add(f.pid);
      resolve({ child, functions });
    });
  });
}

async function killHard(child: ChildProcess): Promise<void> {
  process.kill(child.pid!, "SIGKILL");
  await new Promise((r) => child.once("exit", r));
}

/** Waits (bounded) until the process is gone; a zombie counts as gone. */
async function gone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await identityOf(pid))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !(await identityOf(pid));
}

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sandbox-orphans-"));
  dirs.push(dir);
  return dir;
}

describe("function processes after kill -9 of the sandbox", () => {
  it("end by themselves: each notices its sandbox is gone and stops", async () => {
    const { child, functions } = await startChild(await stateDir());
    expect(functions.map((f) => f.name)).toEqual(["whoami"]);
    const pid = functions[0]!.pid;
    expect(await identityOf(pid)).toBeDefined();
    await killHard(child);
    expect(await gone(pid, 15_000)).toBe(true);
  });

  it("are stopped by the next start on the same state directory when they could not notice, and nothing else is", async () => {
    const dir = await stateDir();
    const first = await startChild(dir);
    const pid = first.functions[0]!.pid;
    const identity = (await identityOf(pid))!;
    // A stopped process cannot act on its channel closing: it outlives the sandbox.
    process.kill(pid, "SIGSTOP");
    await killHard(first.child);
    await new Promise((r) => setTimeout(r, 300));
    expect(await identityOf(pid)).toEqual(identity);

    // Decoys in the same state directory: a live process whose recorded start time is wrong (a
    // reused pid), and one recorded with the right identity but another command line.
    const decoy = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    children.push(decoy);
    pids.add(decoy.pid!);
    const decoyIdentity = (await identityOf(decoy.pid!))!;
    const pods = join(dir, "run", "pods", "dev");
    await mkdir(join(pods, "reused-pid"), { recursive: true });
    await writeFile(join(pods, "reused-pid", "pid.json"), JSON.stringify({ pid: decoy.pid, startTime: "1", script: TEMPLATE_SERVER }));
    await mkdir(join(pods, "other-program"), { recursive: true });
    await writeFile(join(pods, "other-program", "pid.json"), JSON.stringify({ ...decoyIdentity, script: TEMPLATE_SERVER }));

    const lines: string[] = [];
    const second = await startSandbox({ root: FIXTURE_ROOT, stateDir: dir, runFunctions: false, port: 0, log: (l) => lines.push(l) });
    try {
      expect(await gone(pid, 1_000)).toBe(true);
      expect(lines).toContain(`stopping pid ${pid}, a function process an earlier sandbox run left behind`);
      expect(lines).toContain("stopped 1 function process(es) left by an earlier run");
      expect(await identityOf(decoy.pid!)).toEqual(decoyIdentity);
    } finally {
      await second.stop();
    }
  });

  it("never runs two sandboxes on one state directory (the second would stop the first's pods as orphans)", async () => {
    const dir = await stateDir();
    const first = await startChild(dir);
    await expect(startSandbox({ root: FIXTURE_ROOT, stateDir: dir, runFunctions: false, port: 0 })).rejects.toThrow(
      `state directory ${dir} is in use by the sandbox with pid ${first.child.pid}`,
    );
    expect(await identityOf(first.functions[0]!.pid)).toBeDefined();
    await killHard(first.child);
    expect(await gone(first.functions[0]!.pid, 15_000)).toBe(true);
    // Its claim is left behind by kill -9, and taken over because that process is gone.
    const next = await startSandbox({ root: FIXTURE_ROOT, stateDir: dir, runFunctions: false, port: 0 });
    await next.stop();
  });
});
