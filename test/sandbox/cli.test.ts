import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createServer, type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { stateDirFor } from "../../sandbox/src/state/state-dir.js";
import { cleanEnv } from "../template/support/process.js";
import { alive, FIXTURE_ROOT } from "./helpers.js";

const CLI = resolve(import.meta.dirname, "../../sandbox/dist/cli.js");
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, "SIGKILL");
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** Runs the CLI until it prints its welcome text; returns stdout and stderr so far. */
function runCli(args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; stdout: () => string; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, "--port", "0", "--ephemeral", ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
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

/** Runs the CLI to its exit (for flags that stop it before it starts anything). */
function runToEnd(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolvePromise) => child.once("close", (code) => resolvePromise({ code, stdout, stderr })));
}

/** A port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolvePort) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePort(port));
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
    expect(text).toContain(`GW=${url}\n`);
    expect(text).toContain(`"$GW/oauth/token"`);
    expect(text).toContain(`"$GW/system/namespace/"`);
    expect(text).toContain(`"$GW/function/whoami.dev/"`);
    expect(stderr()).toMatch(/sandbox: function whoami\.dev is ready/);
    const pid = Number(/whoami\.dev .*\(pid (\d+)/.exec(text)?.[1]);
    expect(alive(pid)).toBe(true);
    expect((await fetch(`${url}/function/whoami.dev/env`)).status).toBe(200);
    child.kill("SIGTERM");
    const code = await new Promise((r) => child.once("exit", r));
    expect(code).toBe(0);
    expect(alive(pid)).toBe(false);
  });

  it("prints --help on stdout and exits 0; the usage says each manifest path needs its own flag", async () => {
    const { code, stdout, stderr } = await runToEnd(["--help"]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).toMatch(/^usage: node-ts-iam-sandbox \[options\]/);
    expect(stdout).toContain("--manifests PATH     an extra IAM manifest file or folder; repeat the flag for each path");
    expect(stdout).not.toContain("path ...");
    for (const flag of ["--issuer-port N", "SANDBOX_ISSUER_PORT", "--watch", "rm -rf .sandbox"]) expect(stdout).toContain(flag);
    expect(stdout).not.toContain("--function-ports");
    expect((await runToEnd(["-h"])).stdout).toBe(stdout);
  });

  it.each([
    [["--no-such-flag"], /Unknown option '--no-such-flag'/],
    [["--port", "http"], /--port must be a port number/],
    [["--issuer-port", "70000"], /--issuer-port must be a port number/],
    [["--function-ports", "9100-9199"], /--function-ports \(SANDBOX_FUNCTION_PORTS\) is gone: function processes listen on a Unix socket that only their watchdog stand-in reaches/],
    [["--time-scale", "0"], /--time-scale must be a number above 0/],
    [["--time-scale", "abc"], /--time-scale must be a number above 0/],
    [["--time-scale", "1e400"], /--time-scale must be a number above 0 and at most 1000000/],
    [["--time-scale=-5"], /--time-scale must be a number above 0/],
    [["--read-timeout", "soon"], /--read-timeout must be a duration from 100ms to 24h/],
    [["--read-timeout", "10ms"], /--read-timeout must be a duration from 100ms to 24h/],
    [["--stack", "/nonexistent/stack.yaml"], /--stack \/nonexistent\/stack\.yaml: no such file/],
    [["--root", "/nonexistent"], /--root \/nonexistent: no such folder/],
    [["--root", CLI], /--root .*cli\.js: no such folder/],
  ])("refuses %j with exit 2 and one line naming the flag, before it starts anything", async (args, problem) => {
    const { code, stdout, stderr } = await runToEnd(["--ephemeral", ...args]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(problem);
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(stderr).toContain("(node-ts-iam-sandbox --help lists the options)");
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it("serves the issuer on the port chosen by flag, and the function process on a Unix socket of its own (no port)", async () => {
    const issuerPort = await freePort();
    const { child, stdout } = await runCli(["--root", FIXTURE_ROOT, "--issuer-port", String(issuerPort)]);
    expect(stdout()).toContain(`issuer (k8s)     : http://127.0.0.1:${issuerPort}`);
    const url = /sandbox ready at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout())![1]!;
    const env = (await (await fetch(`${url}/function/whoami.dev/env`)).json()) as { socket: string; names: string[] };
    expect(env.socket).toMatch(/\/sockets\/[0-9a-f]{12}\.sock$/);
    expect(env.names).not.toContain("http_port");
    expect((await fetch(`http://127.0.0.1:${issuerPort}/openid/v1/jwks`)).status).toBe(200);
    child.kill("SIGTERM");
    expect(await new Promise((r) => child.once("exit", r))).toBe(0);
  });

  it("--read-timeout cuts a trickling request at the gateway (408) at the time given", async () => {
    const { child, stdout } = await runCli(["--root", FIXTURE_ROOT, "--no-connectors", "--read-timeout", "400ms"]);
    const port = Number(/sandbox ready at http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout())![1]);
    const { connect } = await import("node:net");
    const socket = connect(port, "127.0.0.1");
    socket.write("POST /oauth/token HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 100\r\n\r\ngrant");
    const started = Date.now();
    const answer = await new Promise<string>((done) => {
      let text = "";
      socket.on("data", (c: Buffer) => (text += c.toString()));
      socket.on("close", () => done(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(5_000);
    child.kill("SIGTERM");
    expect(await new Promise((r) => child.once("exit", r))).toBe(0);
  });

  it("refuses SANDBOX_FUNCTION_PORTS from the environment too, naming it", async () => {
    const child = spawn(process.execPath, [CLI, "--ephemeral", "--root", FIXTURE_ROOT], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SANDBOX_FUNCTION_PORTS: "9100-9199" } });
    children.push(child);
    let err = "";
    child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    expect(await new Promise((r) => child.once("exit", r))).toBe(2);
    expect(err).toMatch(/^sandbox: --function-ports \(SANDBOX_FUNCTION_PORTS\) is gone/);
  });

  it("loads a manifest folder passed again (already loaded from functions/*/iam), or a file in it, once", async () => {
    const iam = join(FIXTURE_ROOT, "functions", "whoami", "iam");
    const { child, stderr } = await runCli(["--root", FIXTURE_ROOT, "--manifests", iam, "--manifests", join(iam, "iam.yaml"), "--manifests", `${iam}/`]);
    expect(stderr()).toContain("loaded 0 JwtIssuer(s), 1 Policy(ies), 1 Role(s), 1 ServiceAccount(s)");
    expect(stderr()).not.toContain("duplicate");
    child.kill("SIGTERM");
    expect(await new Promise((r) => child.once("exit", r))).toBe(0);
  });

  it("refuses a folder with no stack file: exit 2, saying where to run it", async () => {
    const root = await mkdtemp(join(tmpdir(), "sandbox-empty-root-"));
    dirs.push(root);
    const { code, stderr } = await runToEnd(["--ephemeral", "--root", root]);
    expect(code).toBe(2);
    expect(stderr).toBe(`sandbox: no stack.yaml or stack.yml in ${root}: run in your project folder (where faas-cli new wrote stack.yaml), or name one with --stack FILE (node-ts-iam-sandbox --help lists the options)\n`);
  });

  it.each([
    ["--port", (port: number) => ["--port", String(port)]],
    ["--issuer-port", (port: number) => ["--port", "0", "--issuer-port", String(port)]],
  ] as const)("names %s when its port is taken: exit 2, one line", async (flag, args) => {
    const taken = createServer().listen(0, "127.0.0.1");
    await new Promise((r) => taken.once("listening", r));
    const { port } = taken.address() as AddressInfo;
    try {
      const { code, stderr } = await runToEnd(["--ephemeral", "--root", FIXTURE_ROOT, "--no-connectors", ...args(port)]);
      expect(code).toBe(2);
      expect(stderr.trimEnd().split("\n").at(-1)).toBe(`sandbox: ${flag} ${port}: 127.0.0.1:${port} is in use (another sandbox, or another program); choose another (0 picks a free one) (node-ts-iam-sandbox --help lists the options)`);
    } finally {
      taken.close();
    }
  });

  it("exits non-zero naming the file, object and field of an invalid manifest", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sandbox-bad-manifest-"));
    dirs.push(dir);
    const file = join(dir, "bad.yaml");
    await import("node:fs/promises").then(async (fs) => {
      await fs.writeFile(file, "apiVersion: iam.openfaas.com/v1\nkind: JwtIssuer\nmetadata: {name: bad}\nspec: {iss: x}\n");
      await fs.writeFile(join(dir, "stack.yaml"), "version: 1.0\nprovider:\n  name: openfaas\nfunctions: {}\n");
    });
    const child = spawn(process.execPath, [CLI, "--port", "0", "--ephemeral", "--root", dir, "--manifests", file], { stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let err = "";
    child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    expect(await new Promise((r) => child.once("exit", r))).toBe(1);
    expect(err).toContain(`${file}: JwtIssuer/bad (document 1): spec.aud: is required`);
  });

  it("is the sandbox package's command: installed globally from the checkout, it runs from any folder", async () => {
    const prefix = await mkdtemp(join(tmpdir(), "sandbox-global-"));
    dirs.push(prefix);
    const { execFile } = await import("node:child_process");
    const run = (file: string, args: string[], cwd: string) =>
      new Promise<{ code: number; stdout: string }>((done) => execFile(file, args, { cwd, env: cleanEnv() }, (err, stdout) => done({ code: err ? Number(err.code) : 0, stdout })));
    const installed = await run("npm", ["install", "--global", "--prefix", prefix, "--no-audit", "--no-fund", resolve(import.meta.dirname, "../../sandbox")], prefix);
    expect(installed.code).toBe(0);
    for (const command of ["node-ts-iam-sandbox", "node-ts-iam-token", "node-ts-iam-policy"]) {
      const help = await run(join(prefix, "bin", command), ["--help"], prefix);
      expect([command, help.code, help.stdout]).toEqual([command, 0, expect.stringMatching(/^usage: /)]);
    }
  });

  it("finds the state folder as npm run token and npm run policy do: --state-dir, else SANDBOX_STATE_DIR, else <root>/.sandbox; empty is unset", () => {
    expect(stateDirFor("/flag", "/root", { SANDBOX_STATE_DIR: "/env" })).toBe("/flag");
    expect(stateDirFor(undefined, "/root", { SANDBOX_STATE_DIR: "/env" })).toBe("/env");
    expect(stateDirFor(undefined, "/root", {})).toBe("/root/.sandbox");
    // Never the current folder (whose run/ a start would clear) for an empty value.
    expect(stateDirFor("", "/root", { SANDBOX_STATE_DIR: "" })).toBe("/root/.sandbox");
  });
});
