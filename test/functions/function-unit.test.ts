/**
 * Runs each sample function's own unit tests (`npm test` in its folder: node --test over the
 * compiled tests in dist/test) so that `npm test` at the root covers them too.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sampleHint } from "./support/conventions.js";
import { functionNames, repoRoot } from "./support/repo.js";

function runNodeTest(cwd: string, files: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--test", ...files], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 25_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe.each(functionNames())("%s unit tests (node --test)", (name) => {
  it("are built and pass", async () => {
    const dir = join(repoRoot, "functions", name);
    const testDir = join(dir, "dist", "test");
    expect(existsSync(testDir), sampleHint(name, `${testDir} missing: run npm run build first`)).toBe(true);
    const files = readdirSync(testDir).filter((f) => f.endsWith(".test.js")).map((f) => join("dist", "test", f));
    expect(files.length).toBeGreaterThan(0);
    const { code, output } = await runNodeTest(dir, files);
    expect(code, output.slice(-3000)).toBe(0);
    expect(output).toMatch(/# fail 0/);
    expect(output).not.toMatch(/# pass 0\b/);
  });
});
