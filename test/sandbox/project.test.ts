/**
 * A user's own project, outside the checkout, as a user has it: the template as `faas-cli template
 * pull` leaves it, a function folder as `faas-cli new` writes it, a `stack.yaml`. Its function folder
 * needs one `npm install` to build and test by itself; the sandbox started in the project folder runs
 * the functions from the project's own template; `--watch` rebuilds and restarts one function alone;
 * a function that cannot load or build shows why, and the others are served. (The same path with the
 * real faas-cli, from the README's walkthrough, is in test/conformance/first-function.test.ts.)
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyTemplate, REPO_ROOT, TEMPLATE_DIR } from "../template/support/faas-build.js";
import { cleanEnv } from "../template/support/process.js";

const CLI = resolve(REPO_ROOT, "sandbox/dist/cli.js");

/** A command run as the user runs it in `cwd` (no npm_* settings of the test run leak in). */
function user(command: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(command, args, { cwd, env: cleanEnv(), timeout: 180_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

/** Polls `probe` until it returns true; fails after `timeoutMs`. */
async function eventually(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await probe()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not within ${timeoutMs} ms: ${what}`);
}

const STACK = `version: 1.0
provider:
  name: openfaas
  gateway: http://127.0.0.1:8080
functions:
  myfn:
    lang: node-ts-iam
    handler: ./myfn
    image: myfn:latest
  other:
    lang: node-ts-iam
    handler: ./other
    image: other:latest
  broken:
    lang: node-ts-iam
    handler: ./broken
    image: broken:latest
  ghost:
    lang: node-ts-iam
    handler: ./ghost
    image: ghost:latest
`;

let work: string;
let project: string;
let install: { code: number; output: string };
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "node-ts-iam-project-"));
  project = join(work, "proj");
  copyTemplate(join(project, "template/node-ts-iam")); // faas-cli template pull
  cpSync(join(TEMPLATE_DIR, "function"), join(project, "myfn"), { recursive: true, filter: (src) => !/(dist|node_modules|\.tsbuildinfo)$/.test(src) }); // faas-cli new
  writeFileSync(join(project, "stack.yaml"), STACK);
  mkdirSync(join(project, "other"));
  // A node22 handler reading a file relative to its working directory, as node22's image runs it (/home/app, the function at ./function).
  writeFileSync(join(project, "other/handler.js"), "module.exports = async () => require('fs').readFileSync('./function/motd.txt', 'utf8');\n");
  writeFileSync(join(project, "other/motd.txt"), "other");
  writeFileSync(join(project, "other/package.json"), "{}\n");
  mkdirSync(join(project, "broken"));
  writeFileSync(join(project, "broken/handler.js"), "throw new Error('broken at import: DATABASE_URL is not set');\n");
  writeFileSync(join(project, "broken/package.json"), "{}\n");
  install = await user("npm", ["install", "--no-audit", "--no-fund"], join(project, "myfn"));
}, 240_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("a function folder made by faas-cli new, outside the checkout", () => {
  it("needs only npm install: then npm test (type-check and the sample test) and npm run build pass", async () => {
    expect(install.code, install.output).toBe(0);
    const test = await user("npm", ["test"], join(project, "myfn"));
    expect(test.code, test.output).toBe(0);
    expect(test.output).toMatch(/# pass 1\b/);
    expect(test.output).toMatch(/# skipped 0\b/);
    const build = await user("npm", ["run", "build"], join(project, "myfn"));
    expect(build.code, build.output).toBe(0);
    expect(existsSync(join(project, "myfn/dist/handler.js"))).toBe(true);
  }, 120_000);

  it("resolves @node-ts-iam/sdk and its /kit, for tsc and at run time, to the template's own SDK (the copy the image ships)", async () => {
    expect(realpathSync(join(project, "myfn/node_modules/@node-ts-iam/sdk"))).toBe(realpathSync(join(project, "template/node-ts-iam/sdk")));
    writeFileSync(
      join(project, "myfn/probe.ts"),
      'import { gatewayClient, type Handler } from "@node-ts-iam/sdk";\nimport { serveApi } from "@node-ts-iam/sdk/kit";\nexport const probe: [typeof gatewayClient, typeof serveApi, Handler | undefined] = [gatewayClient, serveApi, undefined];\n',
    );
    try {
      const check = await user(join(project, "myfn/node_modules/.bin/tsc"), ["--noEmit", "-p", "."], join(project, "myfn"));
      expect(check.code, check.output).toBe(0);
      const load = await user(process.execPath, ["--input-type=module", "-e", 'const m = await import("@node-ts-iam/sdk"); const k = await import("@node-ts-iam/sdk/kit"); console.log(typeof m.gatewayClient, typeof k.serveApi);'], join(project, "myfn"));
      expect(load.output.trim()).toBe("function function");
      // Built by setup.mjs (the folder's npm install) as the SDK's own build builds it: the checkout's bundle.
      expect(readFileSync(join(project, "template/node-ts-iam/sdk/dist/sdk.bundle.js"), "utf8")).toBe(readFileSync(join(TEMPLATE_DIR, "sdk/dist/sdk.bundle.js"), "utf8"));
    } finally {
      rmSync(join(project, "myfn/probe.ts"));
    }
  }, 60_000);
});

describe("node-ts-iam-sandbox started in the project folder, with --watch", () => {
  let child: ChildProcess;
  let out = "";
  let err = "";
  let gateway = "";
  const answer = async (fn: string): Promise<{ status: number; text: string }> => {
    const res = await fetch(`${gateway}/function/${fn}.openfaas-fn/hello`);
    return { status: res.status, text: await res.text() };
  };
  const pidOf = (fn: string): number => Number(new RegExp(`${fn}\\.openfaas-fn .*\\(pid (\\d+)`).exec(out)?.[1]);
  beforeAll(async () => {
    // The sandbox makes the SDK's bundle (its package entries) as the SDK's own build does, after tsc.
    rmSync(join(project, "template/node-ts-iam/sdk/dist/sdk.bundle.js"), { force: true });
    child = spawn(process.execPath, [CLI, "--port", "0", "--ephemeral", "--watch"], { cwd: project, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    await eventually("the sandbox is ready", () => out.includes("Ctrl-C stops"), 90_000);
    gateway = /sandbox ready at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
  }, 120_000);
  afterAll(async () => {
    if (child?.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  });

  it("runs the project's functions, built from its own template/node-ts-iam with the sandbox's tools", async () => {
    expect(err).toContain(`stack ${join(realpathSync(project), "stack.yaml")}: 4 function(s)`);
    expect(existsSync(join(project, "template/node-ts-iam/dist/main.js"))).toBe(true);
    expect(existsSync(join(project, "template/node-ts-iam/sdk/dist/sdk.bundle.js"))).toBe(true);
    const mine = await answer("myfn");
    expect(mine.status).toBe(200);
    expect(JSON.parse(mine.text)).toMatchObject({ method: "GET", path: "/hello" });
    expect(await answer("other")).toEqual({ status: 200, text: "other" });
  });

  it("shows why a function did not start (its own first lines; the missing folder by name) and serves the others", () => {
    expect(err).toMatch(/function broken\.openfaas-fn did not start: broken-[0-9a-f-]+ exited \(code 1\) before it was ready; its first lines:\n(.*\n)*\s+\| .*broken at import: DATABASE_URL is not set/);
    expect(err).toContain(`function ghost.openfaas-fn did not start: the handler folder ${join(realpathSync(project), "ghost")} does not exist`);
    expect(out).toMatch(/myfn\.openfaas-fn .*\(pid \d+/);
    expect(out).not.toMatch(/broken\.openfaas-fn .*\(pid/);
  });

  it("rebuilds and restarts only the changed function within seconds; a build error leaves the running version serving", async () => {
    const other = pidOf("other");
    writeFileSync(join(project, "myfn/handler.ts"), 'import type { Handler } from "@node-ts-iam/sdk";\nconst handle: Handler = async () => "version 2";\nexport default handle;\n');
    const took = await eventually("myfn answers with the new version", async () => (await answer("myfn").catch(() => ({ status: 0, text: "" }))).text === "version 2", 15_000);
    expect(took).toBeLessThan(15_000);
    expect(err).toMatch(/watch: function myfn\.openfaas-fn restarted with the new build/);
    process.kill(other, 0); // the other function's process is the one it started with
    // The old pod's folder is gone, and with it only the link to the function folder, never the folder.
    expect(existsSync(join(project, "myfn/handler.test.ts"))).toBe(true);
    expect(err).not.toMatch(/function other\.openfaas-fn restarted/);

    writeFileSync(join(project, "myfn/handler.ts"), 'import type { Handler } from "@node-ts-iam/sdk";\nconst handle: Handler = async () => { const n: number = "not a number"; return n; };\nexport default handle;\n');
    await eventually("the build error is shown", () => /watch: the build failed, the running version keeps serving: .*myfn.*\n(.*\n)*.*TS2322/.test(err), 15_000);
    expect(await answer("myfn")).toEqual({ status: 200, text: "version 2" });
  }, 60_000);
});
