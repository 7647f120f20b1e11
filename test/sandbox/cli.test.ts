import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { alive, FIXTURE_ROOT } from "./helpers.js";

const CLI = resolve(import.meta.dirname, "../../sandbox/dist/cli.js");
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, "SIGKILL");
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** Runs the CLI until it prints its welcome text; returns stdout and stderr so far. */
function runCli(args: string[]): Promise<{ child: ChildProcess; stdout: () => string; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, "--port", "0", "--ephemeral", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  return new Promise((resolvePromise, reject) => {
    child.once("exit", (code) => reject(new Error(`cli exited (${code}): ${err}`)));
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("Ctrl-C stops")) resolvePromise({ child, stdout: () => out, stderr: () => err });
    });
  });
}

describe("npm start (sandbox/dist/cli.js)", () => {
  it("starts the stack's functions, prints URL, credential file and curl commands, and stops every child on SIGTERM", async () => {
    const { child, stdout, stderr } = await runCli(["--root", FIXTURE_ROOT]);
    const text = stdout();
    const url = /sandbox ready at (http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1];
    expect(url).toBeDefined();
    expect(text).toMatch(/password in .*admin-password/);
    expect(text).toContain(`${url}/oauth/token`);
    expect(text).toContain(`${url}/system/namespace/`);
    expect(text).toContain(`${url}/function/whoami.dev/`);
    expect(stderr()).toMatch(/sandbox: function whoami\.dev is ready/);
    const pid = Number(/whoami\.dev .*\(pid (\d+)/.exec(text)?.[1]);
    expect(alive(pid)).toBe(true);
    expect((await fetch(`${url}/function/whoami.dev/env`)).status).toBe(200);
    child.kill("SIGTERM");
    const code = await new Promise((r) => child.once("exit", r));
    expect(code).toBe(0);
    expect(alive(pid)).toBe(false);
  });

  it("starts the gateway without a stack file and says so", async () => {
    const root = await mkdtemp(join(tmpdir(), "sandbox-empty-root-"));
    dirs.push(root);
    const { child, stdout, stderr } = await runCli(["--root", root]);
    expect(stderr()).toMatch(/no stack file at .*stack\.yml: starting the gateway without functions/);
    expect(stdout()).toMatch(/functions\s+: none running/);
    child.kill("SIGINT");
    expect(await new Promise((r) => child.once("exit", r))).toBe(0);
  });

  it("exits non-zero naming the file, object and field of an invalid manifest", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sandbox-bad-manifest-"));
    dirs.push(dir);
    const file = join(dir, "bad.yaml");
    await import("node:fs/promises").then((fs) => fs.writeFile(file, "apiVersion: iam.openfaas.com/v1\nkind: JwtIssuer\nmetadata: {name: bad}\nspec: {iss: x}\n"));
    const child = spawn(process.execPath, [CLI, "--port", "0", "--ephemeral", "--root", dir, "--manifests", file], { stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let err = "";
    child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    expect(await new Promise((r) => child.once("exit", r))).toBe(1);
    expect(err).toContain(`${file}: JwtIssuer/bad (document 1): spec.aud: is required`);
  });
});
