/**
 * `faas-cli up -f stack.yml`, build part: each function of the stack built the way faas-cli builds it
 * (the template's reproduction without Docker, from test/template/support): handler folder over the
 * template's sample, the Dockerfile's build stage (npm install, tsc, the function's own `npm test`),
 * the ship stage, then the shipped image started as the watchdog starts it, with the stack's env.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { faasCliBuild } from "../template/support/faas-build.js";
import { send } from "../template/support/process.js";
import { listFiles, startShipped } from "../template/support/ship.js";
import { sampleHint } from "./support/conventions.js";
import { readStack, repoRoot } from "./support/repo.js";

interface StackFunction {
  handler: string;
  environment?: Record<string, string>;
}

const workDir = mkdtempSync(join(tmpdir(), "functions-faas-build-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const stackFunctions = Object.entries(readStack().stack["functions"] as Record<string, StackFunction>);

describe.each(stackFunctions)("faas-cli build of %s", (name, fn) => {
  it("runs the function's own tests in the build, ships JavaScript only, and serves the handler", async () => {
    const build = await faasCliBuild({ workDir, name, handlerDir: resolve(repoRoot, fn.handler), log: () => {} });
    expect(build.output, sampleHint(name, "the image build's npm test ran no unit tests")).toMatch(/# fail 0\b/);
    expect(build.output, sampleHint(name, "the image build's npm test passed no unit test")).toMatch(/# pass [1-9]\d*\b/);
    const files = listFiles(build.shipDir);
    expect(files).toContain("function/dist/handler.js");
    expect(files.filter((f) => !f.includes("node_modules/") && f.endsWith(".ts"))).toEqual([]);

    const server = await startShipped(build, { ...fn.environment });
    try {
      const answer = await send(server.port, { method: "GET", path: "/no-such-route" });
      expect(answer.status).toBe(404);
      expect(answer.headers["content-type"]).toMatch(/application\/json/);
      expect(JSON.parse(answer.text)).toMatchObject({ code: "ROUTE_NOT_FOUND" });
    } finally {
      server.kill();
    }
  }, 120_000);
});
