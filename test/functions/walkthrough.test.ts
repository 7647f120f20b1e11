/**
 * functions/README.md's walkthrough, run as written against a started sandbox: the set-up, the curl
 * callers, ns-admin, tenant-provisioner and preview-janitor blocks in one bash, as a reader pastes
 * them into one shell, with `SANDBOX_PORT` and `SANDBOX_STATE_DIR` set as for `npm start` on another
 * port; every line they print must be the one its comment documents. The blocks run twice, so a
 * second reading of the walkthrough (or one after the sandbox's own) answers as documented too.
 * First the root README's quick start in bash, on the fresh sandbox; then the SDK program saved and
 * run with node. The faas-cli block runs in the conformance suite (it needs the real faas-cli).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "./support/command.js";
import { documentedOutputs, walkthroughBlock } from "./support/readme.js";
import { repoRoot } from "./support/repo.js";

/** The root README: its quick start is a walkthrough too. */
const ROOT_README = join(repoRoot, "README.md");
/** A walkthrough block may build and start things: twice the usual command bound. */
const WALK_TIMEOUT_MS = 120_000;
import { startFunctionsSandbox, type FunctionsSandbox } from "./support/sandbox.js";

/** The blocks a reader runs one after another in one shell. */
const SHELL_BLOCKS = ["setup", "caller-curl", "ns-admin", "tenant-provisioner", "preview-janitor"];

describe("functions/README.md's walkthrough, as written", () => {
  let env: FunctionsSandbox;
  /** What `npm start -- --port N --state-dir D` would have told the reader's shell. */
  let shellEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    env = await startFunctionsSandbox();
    shellEnv = { SANDBOX_PORT: new URL(env.sandbox.url).port, SANDBOX_STATE_DIR: dirname(env.sandbox.adminCredentialFile) };
  });
  afterAll(async () => {
    await env?.stop();
  });

  // First, while the sandbox is as fresh as `npm start` leaves it: the quick start shows what a
  // first reader sees (ns-admin may list only dev, which the walkthrough below creates).
  it("the root README's quick start prints what its comments say, on a fresh sandbox", async () => {
    const block = walkthroughBlock("quick-start", ROOT_README);
    const documented = documentedOutputs(block);
    expect(documented).toHaveLength(2);
    const r = await runCommand("bash", ["-c", `set -e -o pipefail\n${block}\n`], shellEnv, WALK_TIMEOUT_MS);
    expect(r.code, r.stderr).toBe(0);
    const printed = r.stdout.trimEnd().split("\n");
    expect(printed).toHaveLength(documented.length);
    printed.forEach((line, i) => expect(line, `line ${i + 1}`).toMatch(documented[i]!));
  });

  it("the shell blocks print what their comments say, twice in a row", async () => {
    const blocks = SHELL_BLOCKS.map((name) => walkthroughBlock(name));
    const documented = blocks.flatMap(documentedOutputs);
    expect(documented.length).toBeGreaterThanOrEqual(20);
    const script = `set -e -o pipefail\n${blocks.join("\n")}\n`;
    for (const pass of [1, 2]) {
      const r = await runCommand("bash", ["-c", script], shellEnv, WALK_TIMEOUT_MS);
      expect(r.code, `pass ${pass}: ${r.stderr}`).toBe(0);
      const printed = r.stdout.trimEnd().split("\n");
      expect(printed, `pass ${pass}`).toHaveLength(documented.length);
      printed.forEach((line, i) => expect(line, `pass ${pass}, line ${i + 1}`).toMatch(documented[i]!));
    }
    await env.waitForAudit((e) => e.action === "Token:Exchange" && e.allowed && e.subject === "fed:system:serviceaccount:ci:deployer");
  });

  it("a documented line that differs from what is printed fails the comparison", () => {
    const [pattern] = documentedOutputs('curl -s $GW/x   # {"a":[...]} 200');
    expect('{"a":[1,2]} 200').toMatch(pattern!);
    expect('{"a":[1,2]} 201').not.toMatch(pattern!);
    expect(() => documentedOutputs("curl -s $GW/x")).toThrow(/without its output/);
  });

  it("with the SDK from a plain Node program: 200 and ns-admin's namespaces", async () => {
    // Saved inside the repository's node_modules (ignored by git), where @node-ts-iam/sdk resolves.
    const dir = await mkdtemp(join(repoRoot, "node_modules", ".walkthrough-"));
    try {
      await writeFile(join(dir, "invoke-ns-admin.mjs"), walkthroughBlock("caller-sdk"));
      const token = await runCommand(process.execPath, ["sandbox/dist/token-cli.js", "ci/deployer"], shellEnv, WALK_TIMEOUT_MS);
      expect(token.code, token.stderr).toBe(0);
      const r = await runCommand(process.execPath, [join(dir, "invoke-ns-admin.mjs")], { SA_TOKEN: token.stdout.trim(), OPENFAAS_URL: env.sandbox.url }, WALK_TIMEOUT_MS);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('200 {"namespaces":["dev"]}\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

});
