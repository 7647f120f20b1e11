/**
 * The root README's "Your first function", run as written, as a new user runs it: in an empty folder
 * outside the checkout, with the real faas-cli (../shared/peers) on PATH, the checkout served by
 * `git daemon` on loopback for `faas-cli template pull`, `npm install` and `npm test` in the new
 * function's folder, the sandbox started in the project folder with `npx --prefix <checkout>`, then the
 * calls block: the function answers with its own identity (the audit log says whose), a call its Policy
 * denies is a 403 naming the action, an edit is picked up by `--watch`, and faas-cli logs in, deploys,
 * lists and invokes from the project folder. Every line a comment documents is what is printed.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { walkthroughBlock } from "../functions/support/readme.js";
import { repoRoot } from "../functions/support/repo.js";
import { freePort, machineLock, peer, peerEnv } from "./support/peers.js";

const README = join(repoRoot, "README.md");
const block = (name: string): string => walkthroughBlock(name, README);

/** The lines a block documents: each `curl` or `tail` command's trailing comment, `...` standing for any text. */
function documented(text: string): RegExp[] {
  return text
    .split("\n")
    .filter((line) => /^(curl|tail) /.test(line))
    .map((line) => {
      const comment = /\s{2,}# (.*)$/.exec(line);
      if (!comment) throw new Error(`walkthrough: no documented output on: ${line}`);
      return new RegExp(`^${comment[1]!.split("...").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
    });
}

interface Shell {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Runs a block in bash, as pasted into a shell (`set -e`: a failing line stops it). */
function bash(script: string, cwd: string, env: NodeJS.ProcessEnv): Shell {
  // A process group of its own, so that what it starts (git daemon, the sandbox, npm) is stopped with it.
  const child = spawn("bash", ["-c", `set -e -o pipefail\n${script}`], { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  return { child, output: () => output, exited: new Promise((r) => child.once("close", r)) };
}

async function stop(shell: Shell | undefined): Promise<void> {
  if (!shell || shell.child.exitCode !== null || shell.child.signalCode !== null) return;
  process.kill(-shell.child.pid!, "SIGTERM");
  const timer = setTimeout(() => process.kill(-shell.child.pid!, "SIGKILL"), 10_000);
  await shell.exited;
  clearTimeout(timer);
}

async function until(what: string, probe: () => boolean, shell: Shell, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (shell.child.exitCode !== null) throw new Error(`${what}: the shell exited (${shell.child.exitCode}):\n${shell.output()}`);
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms:\n${shell.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the root README's Your first function, as written, outside the checkout, with the real faas-cli", () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  let releaseGitPort: (() => void) | undefined;
  let gitDaemon: Shell | undefined;
  let sandbox: Shell | undefined;
  let setup: Shell;
  let calls: Shell;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "node-ts-iam-first-function-"));
    mkdirSync(join(work, "home"));
    mkdirSync(join(work, "bin"));
    symlinkSync(peer("faas-cli"), join(work, "bin", "faas-cli"));
    const npmCache = execFileSync("npm", ["config", "get", "cache"], { encoding: "utf8" }).trim();
    env = peerEnv({
      HOME: join(work, "home"),
      PATH: `${join(work, "bin")}:${process.env["PATH"]}`,
      NODE_TS_IAM: repoRoot,
      // The user's npm cache (a HOME of the test's own would start an empty one and fetch everything again).
      npm_config_cache: npmCache,
      SANDBOX_PORT: String(await freePort()),
    });
    // git daemon's port (9418) is the machine's: one such test at a time.
    releaseGitPort = await machineLock("port-9418");
    gitDaemon = bash(block("first-function-git"), work, env);
    const url = `git://127.0.0.1/${basename(repoRoot)}`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        execFileSync("git", ["ls-remote", url], { stdio: "ignore" });
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`git daemon did not serve ${url}:\n${gitDaemon.output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    const started = Date.now();
    setup = bash(block("first-function"), work, env);
    const setupCode = await setup.exited;
    timings["set-up (template pull, faas-cli new, npm install, npm test, handler, IAM)"] = Date.now() - started;
    if (setupCode !== 0) throw new Error(`the function block failed (${setupCode}):\n${setup.output()}`);

    sandbox = bash(block("first-function-sandbox"), work, env);
    await until("the sandbox is ready", () => sandbox!.output().includes("Ctrl-C stops"), sandbox, 120_000);
    timings["... to the sandbox ready with the function"] = Date.now() - started;

    calls = bash(block("first-function-calls"), join(work, "myproj"), env);
    await calls.exited;
    timings["... to the end of the calls (first call, audit, 403, --watch edit, faas-cli)"] = Date.now() - started;
    process.stderr.write(`first function, from an empty folder: ${JSON.stringify(timings)}\n`);
  }, 420_000);

  afterAll(async () => {
    await stop(sandbox);
    await stop(gitDaemon);
    releaseGitPort?.();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("the template pull, faas-cli new, npm install and npm test work in a fresh folder", () => {
    expect(setup.output()).toContain("Wrote 1 template(s) : [node-ts-iam]");
    expect(setup.output()).toContain("Stack file written: stack.yaml");
    expect(setup.output()).toMatch(/# pass 1\b/);
    expect(setup.output()).toMatch(/# fail 0\b/);
  });

  it("the sandbox, started in the project folder, runs the function from the project's own template and IAM", () => {
    const text = sandbox!.output();
    expect(text).toContain(`sandbox: stack ${join(work, "myproj", "stack.yaml")}: 1 function(s)`);
    expect(text).toContain("loaded 0 JwtIssuer(s), 1 Policy(ies), 1 Role(s), 1 ServiceAccount(s)");
    expect(text).toContain("sandbox: function myfn.openfaas-fn is ready");
  });

  it("the calls print what their comments say: its own identity, the audit line, a 403 naming the action, the edit picked up", async () => {
    expect(calls.child.exitCode, calls.output()).toBe(0);
    const expected = documented(block("first-function-calls"));
    expect(expected).toHaveLength(4);
    // Each documented line appears in order; faas-cli's own lines come between them.
    const printed = calls.output().split("\n");
    let at = 0;
    for (const pattern of expected) {
      while (at < printed.length && !pattern.test(printed[at]!)) at++;
      expect(at, `${pattern} not printed (in order):\n${calls.output()}`).toBeLessThan(printed.length);
      at++;
    }
    expect(sandbox!.output()).toMatch(/watch: function myfn\.openfaas-fn restarted with the new build/);
  });

  it("faas-cli logs in, deploys, lists and invokes from the project folder", () => {
    const text = calls.output();
    expect(text).toContain(`credentials saved for admin http://127.0.0.1:${env["SANDBOX_PORT"]}`);
    expect(text).toContain("Deployed. 202 Accepted.");
    expect(text).toMatch(/^myfn\s+\d+\s+1\s*$/m);
    expect(text).toContain('{"namespace":"openfaas-fn","functions":["myfn"],"count":1}');
  });

  it("faas-cli removes it, and deploys it again from the stack file", async () => {
    const cli = (args: string[]): string => execFileSync("faas-cli", args, { cwd: join(work, "myproj"), env: { ...env, OPENFAAS_URL: `http://127.0.0.1:${env["SANDBOX_PORT"]}` }, encoding: "utf8" });
    expect(cli(["remove", "myfn"])).toContain("Removing old function.");
    expect(cli(["list"])).not.toMatch(/^myfn\s/m);
    expect(cli(["deploy", "-f", "stack.yaml"])).toContain("Deployed. 202 Accepted.");
    const deadline = Date.now() + 20_000;
    for (;;) {
      const answer = await fetch(`http://127.0.0.1:${env["SANDBOX_PORT"]}/function/myfn`).then(async (r) => [r.status, await r.text()] as const);
      if (answer[0] === 200) {
        expect(JSON.parse(answer[1])).toEqual({ namespace: "openfaas-fn", functions: ["myfn"], count: 1 });
        break;
      }
      if (Date.now() > deadline) throw new Error(`not served again after faas-cli deploy: ${answer.join(" ")}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 60_000);
});
