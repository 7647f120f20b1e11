/**
 * node22 compatibility: node22 function folders (CommonJS handler.js and node22's package.json, no
 * "type"), each built unchanged as faas-cli lays it out (the template's sample function under it) and
 * started from the shipped layout, answer as the official node22 template answers, or as the template
 * README's comparison table says on purpose (support/node22-cases.ts). Cost: one build per folder (about 4 s
 * each once the template's stages are cached) and one server each.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { faasCliBuild, REPO_ROOT, type FaasBuild } from "./support/faas-build.js";
import { expectAnswer, NODE22_FOLDERS, ROWS } from "./support/node22-cases.js";
import { send, type ChildServer } from "./support/process.js";
import { listFiles, startShipped } from "./support/ship.js";

const FIXTURES = join(import.meta.dirname, "fixtures/node22");
const workDir = mkdtempSync(join(tmpdir(), "node-ts-iam-node22-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe("the template README", () => {
  const section = readFileSync(join(REPO_ROOT, "template/node-ts-iam/README.md"), "utf8");

  it.each(Object.values(ROWS))("lists the difference from node22: %s", (row) => {
    expect(section).toContain(`| ${row} |`);
  });

  it("shows, under From node22, the folder conformance ports with the real faas-cli", () => {
    const example = /```js\n\/\/ hello\/handler\.js\n([\s\S]*?)```/.exec(section)?.[1];
    expect(example).toBe(readFileSync(join(FIXTURES, "../node22-port/hello/handler.js"), "utf8"));
    expect(section).toContain("lang: node-ts-iam     # was: node22");
  });
});

describe.each(NODE22_FOLDERS)("node22 folder $folder, built unchanged", ({ folder, env, secrets, cases }) => {
  let build: FaasBuild;
  let server: ChildServer | undefined;
  beforeAll(async () => {
    build = await faasCliBuild({ workDir, name: folder, handlerDir: join(FIXTURES, folder) });
    // Secrets as the platform mounts them, where secret_mount_path says (the sandbox sets it too).
    const mount = join(workDir, `${folder}-secrets`);
    for (const [name, value] of Object.entries(secrets ?? {})) {
      mkdirSync(mount, { recursive: true });
      writeFileSync(join(mount, name), value);
    }
    server = await startShipped(build, { ...env, ...(secrets ? { secret_mount_path: mount } : {}) });
  }, 180_000);
  afterAll(() => server?.kill());

  it("builds with its own package.json, ships its handler.js and none of the template's sample", () => {
    const shipped = listFiles(join(build.shipDir, "function"));
    expect(shipped).toContain("handler.js");
    expect(shipped.filter((file) => file.startsWith("handler.ts") || file.startsWith("dist/"))).toEqual([]);
    expect(JSON.parse(readFileSync(join(build.shipDir, "function/package.json"), "utf8"))).not.toHaveProperty("type");
    expect(JSON.parse(readFileSync(join(build.shipDir, "function/.handler.json"), "utf8"))).toEqual({ entry: "handler.js", source: "handler.js" });
  });

  it("runs the folder's own test script in the build", () => {
    if (existsSync(join(FIXTURES, folder, "handler.test.js"))) expect(build.output).toMatch(/# pass 1\b[\s\S]*# fail 0\b/);
    else expect(build.output).toContain("Error: no test specified");
  });

  it.each(cases)("$name", async ({ name, request, node22, fix }) => {
    const answer = await send(server!.port, request);
    expectAnswer(answer, fix?.answer ?? node22, name);
    // node22 tagged almost every answer; here only with ETAG=true (the README row etag).
    if (env?.["ETAG"] !== "true") expect(answer.headers["etag"], `${name}: ETag`).toBeUndefined();
    // node22 died after some of these; this server is still running and answers the next request.
    expect(server!.child.exitCode).toBeNull();
    await expect(send(server!.port, { path: "/" })).resolves.toHaveProperty("status");
  });
});
