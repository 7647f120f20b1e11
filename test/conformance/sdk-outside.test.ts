/**
 * The SDK outside a function, as the SDK README's "In a plain Node project" says, run as written: the
 * tarball `npm pack` makes in the checkout, installed into an empty project outside it with only the
 * registry, then the README's two programs, as ci:deployer (`npm run token`), invoking the `jwt_auth`
 * sample ns-admin through a sandbox: the ES module on this Node, the CommonJS one on Node 22 (the
 * image's; installed from the registry with `npm i node@22`).
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { walkthroughBlock } from "../functions/support/readme.js";
import { repoRoot } from "../functions/support/repo.js";
import { startFunctionsSandbox, type FunctionsSandbox } from "../functions/support/sandbox.js";
import { peerEnv } from "./support/peers.js";

const SDK_README = join(repoRoot, "template/node-ts-iam/sdk/README.md");
const block = (name: string): string => walkthroughBlock(name, SDK_README);

/** A command as a user runs it (no npm_* settings of the test run), to its end. */
function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(file, args, { cwd, env, timeout: 240_000 }, (err, stdout, stderr) => done({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }));
  });
}

describe("the SDK in a plain Node project outside the checkout (SDK README, as written)", () => {
  let work: string;
  let project: string;
  let env: NodeJS.ProcessEnv;
  let node22: string;
  let functions: FunctionsSandbox;
  let ciToken: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "node-ts-iam-sdk-outside-"));
    project = join(work, "ci-job");
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), '{ "name": "ci-job", "private": true }\n');
    env = peerEnv({ TMPDIR: work });
    const packed = await run("bash", ["-c", `set -e\n${block("sdk-pack")}`], repoRoot, env);
    expect(packed.code, packed.stderr).toBe(0);
    const installed = await run("bash", ["-c", `set -e\n${block("sdk-install")}`], project, env);
    expect(installed.code, installed.stderr).toBe(0);
    const node = await run("npm", ["install", "--prefix", join(work, "node22"), "--no-audit", "--no-fund", "node@22"], work, env);
    expect(node.code, node.stderr).toBe(0);
    node22 = join(work, "node22", "node_modules", ".bin", "node");

    functions = await startFunctionsSandbox({ only: ["ns-admin"] });
    const stateDir = dirname(functions.sandbox.adminCredentialFile);
    const token = await run("npm", ["run", "-s", "token", "--", "--state-dir", stateDir, "ci/deployer"], repoRoot, env);
    expect(token.code, token.stderr).toBe(0);
    ciToken = token.stdout.trim();
    writeFileSync(join(project, "invoke.mjs"), `${block("sdk-esm")}\n`);
    writeFileSync(join(project, "invoke.cjs"), `${block("sdk-cjs")}\n`);
  }, 420_000);

  afterAll(async () => {
    await functions?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("installs from the packed tarball with only the registry: the compiled SDK (its bundle the checkout's) and undici, nothing of the checkout", async () => {
    const listed = await run("npm", ["ls", "--all", "--parseable"], project, env);
    const paths = listed.stdout.trim().split("\n");
    expect(paths.every((p) => p.startsWith(project)), listed.stdout).toBe(true);
    expect(paths.map((p) => p.slice(project.length))).toEqual(expect.arrayContaining(["/node_modules/@node-ts-iam/sdk", "/node_modules/undici"]));
    // Packed after the SDK's own build (prepack): the bundle its entries load, the same as this checkout's.
    const bundle = (root: string): string => readFileSync(join(root, "dist/sdk.bundle.js"), "utf8");
    expect(bundle(join(project, "node_modules/@node-ts-iam/sdk"))).toBe(bundle(join(repoRoot, "template/node-ts-iam/sdk")));
  });

  it.each([
    ["the ES module, on this Node", "invoke.mjs", () => process.execPath],
    ["the CommonJS module, on Node 22 (require of an ES module)", "invoke.cjs", () => node22],
  ])("%s invokes ns-admin as ci:deployer with a function token", async (_what, file, node) => {
    const r = await run(node(), [file], project, { ...env, OPENFAAS_URL: functions.sandbox.url, CI_TOKEN: ciToken });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('200 {"namespaces":[]}\n');
    expect(`${r.stdout}${r.stderr}`).not.toContain(ciToken.slice(20, 60));
  }, 60_000);

  it("the Node 22 used is Node 22", async () => {
    expect((await run(node22, ["--version"], work, env)).stdout).toMatch(/^v22\./);
  });
});
