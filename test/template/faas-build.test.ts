/**
 * faas-cli build reproduced: template folder into build/<fn>/, the handler folder over function/, the
 * Dockerfile's build stage replayed on that context (with its .dockerignore), the ship stage assembled
 * from its COPY lines, then the result started as the watchdog starts it. One build per handler folder,
 * shared by its tests.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDockerfile } from "./support/dockerfile.js";
import { faasCliBuild, TEMPLATE_DIR, type FaasBuild } from "./support/faas-build.js";
import { cleanEnv, send, type ChildServer } from "./support/process.js";
import { listFiles, startShipped } from "./support/ship.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const workDir = mkdtempSync(join(tmpdir(), "node-ts-iam-faas-build-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Runs the sample test that the template put into the build, as `node --test` would. */
function runSampleTest(build: FaasBuild): string {
  return execFileSync(process.execPath, ["--test", "dist/handler.test.js"], {
    cwd: join(build.stageDir, "function"),
    env: cleanEnv(),
    encoding: "utf8",
  });
}

describe("a handler folder with its own test and package.json, lacking the sample's test", () => {
  let build: FaasBuild;
  let server: ChildServer | undefined;
  beforeAll(async () => {
    build = await faasCliBuild({ workDir, name: "greeter", handlerDir: join(FIXTURES, "user-function") });
    server = await startShipped(build);
  }, 120_000);
  afterAll(() => server?.kill());

  it("runs the user's own test in the build", () => {
    expect(build.output).toMatch(/# pass 1\b/);
    expect(build.output).toMatch(/# fail 0\b/);
  });

  it("keeps the template's sample test in the build, where it skips itself instead of testing the user's handler", () => {
    expect(existsSync(join(build.stageDir, "function/dist/handler.test.js"))).toBe(true);
    const output = runSampleTest(build);
    expect(output).toMatch(/# skipped 1\b/);
    expect(output).toMatch(/# pass 0\b/);
    expect(output).toContain("not the template's sample handler");
  });

  it("ships compiled JavaScript and production dependencies only, the server as one bundle", () => {
    const files = listFiles(build.shipDir);
    expect(files.filter((f) => !f.includes("node_modules/") && f.endsWith(".ts"))).toEqual([]);
    expect(files.filter((f) => f.startsWith("dist/"))).toEqual(["dist/main.bundle.js"]);
    expect(files).toContain("function/dist/handler.js");
    expect(files).toContain("sdk/dist/index.js");
    expect(files).toContain("node_modules/undici/package.json");
    expect(files).toContain("node_modules/qs/package.json");
    expect(files.some((f) => f.startsWith("node_modules/typescript/") || f.startsWith("node_modules/@types/"))).toBe(false);
    expect(files.some((f) => f.startsWith("src/") || f.startsWith("sdk/src/"))).toBe(false);
    // The SDK is reached through the file: link, which must point inside the image.
    const link = join(build.shipDir, "node_modules/@node-ts-iam/sdk");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(realpathSync(link)).toBe(realpathSync(join(build.shipDir, "sdk")));
  });

  it("sets up the ship stage for of-watchdog: fprocess, http mode, upstream, timeouts, readiness, non-root user, health check", () => {
    const env = build.shipEnv;
    expect(env["fprocess"]).toBe(build.fprocess);
    expect(build.fprocess).toBe("node dist/main.bundle.js");
    expect(env["mode"]).toBe("http");
    expect(env["upstream_url"]).toBe("http://127.0.0.1:3000");
    expect(env["ready_path"]).toBe("/_/ready");
    for (const key of ["exec_timeout", "read_timeout", "write_timeout"]) expect(env[key]).toMatch(/^\d+s$/);
    expect(build.shipUser).toBeDefined();
    expect(["root", "0"]).not.toContain(build.shipUser);
    expect(build.externalCopies.join("\n")).toContain("/fwatchdog");
    const stages = parseDockerfile(readFileSync(join(TEMPLATE_DIR, "Dockerfile"), "utf8"));
    expect(stages.find((s) => s.name === "watchdog")?.image).toMatch(/^ghcr\.io\/openfaas\/of-watchdog:\d+\.\d+\.\d+$/);
    const ship = stages.at(-1);
    expect(ship?.image).toBe("node:22-alpine");
    expect(ship?.instructions.some((i) => i.keyword === "HEALTHCHECK")).toBe(true);
  });

  it("answers as the watchdog's upstream, with the SDK importable at run time", async () => {
    const answer = await send(server!.port, {
      method: "POST",
      path: "/greet",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "ada" }),
    });
    expect(answer.status).toBe(201);
    expect(answer.headers["x-function"]).toBe("greeter");
    expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(JSON.parse(answer.text)).toEqual({ greeting: "hello, ada", sdkLoaded: true });
  });

  it("drains on SIGTERM and exits 0", async () => {
    server!.child.kill("SIGTERM");
    expect(await server!.exited).toEqual({ code: 0, signal: null });
  });
});

describe("a handler folder holding nothing but handler.ts", () => {
  let build: FaasBuild;
  let server: ChildServer | undefined;
  beforeAll(async () => {
    build = await faasCliBuild({ workDir, name: "bare", handlerDir: join(FIXTURES, "handler-only") });
    server = await startShipped(build);
  }, 120_000);
  afterAll(() => server?.kill());

  it("builds with the sample's package.json and tsconfig, whose test run skips the sample test", () => {
    expect(build.output).toMatch(/# skipped 1\b/);
    expect(build.output).toMatch(/# fail 0\b/);
  });

  it("serves the user's handler", async () => {
    const answer = await send(server!.port, { method: "PUT", headers: { "content-type": "text/plain" }, body: "hi" });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ handlerOnly: true, method: "PUT", body: "hi" });
  });
});

describe("a handler folder with local build outputs and installs in it", () => {
  let build: FaasBuild;
  let server: ChildServer | undefined;
  const handlerDir = join(workDir, "stale-src");
  beforeAll(async () => {
    // The user compiled and installed locally: a stale dist/ and tsbuildinfo (which would let tsc skip
    // the compile), and a node_modules/ that is not for the image's platform.
    cpSync(join(FIXTURES, "user-function"), handlerDir, { recursive: true });
    mkdirSync(join(handlerDir, "dist"), { recursive: true });
    writeFileSync(join(handlerDir, "dist/handler.js"), 'export default () => "stale output";\n');
    writeFileSync(join(handlerDir, "tsconfig.tsbuildinfo"), "{}\n");
    mkdirSync(join(handlerDir, "node_modules/local-only"), { recursive: true });
    writeFileSync(join(handlerDir, "node_modules/local-only/index.js"), "module.exports = 1;\n");
    build = await faasCliBuild({ workDir, name: "stale", handlerDir });
    server = await startShipped(build);
  }, 120_000);
  afterAll(() => server?.kill());

  it("lays them out in the context as faas-cli does, and .dockerignore keeps them out of the image", () => {
    for (const path of ["function/dist/handler.js", "function/tsconfig.tsbuildinfo", "function/node_modules/local-only/index.js"]) {
      expect(existsSync(join(build.contextDir, path)), path).toBe(true);
    }
    expect(existsSync(join(build.stageDir, "function/node_modules/local-only"))).toBe(false);
    expect(listFiles(build.shipDir).filter((f) => f.includes("local-only") || f.endsWith(".tsbuildinfo"))).toEqual([]);
  });

  it("serves the handler compiled in the build, not the stale output", async () => {
    const answer = await send(server!.port, { method: "POST", headers: { "content-type": "application/json" }, body: '{"name":"bo"}' });
    expect([answer.status, JSON.parse(answer.text)]).toEqual([201, { greeting: "hello, bo", sdkLoaded: true }]);
  });

  it("takes the template's own steps from the layer cache, as Docker does for an unchanged template", () => {
    expect(build.cachedRuns).toEqual(expect.arrayContaining([expect.stringContaining("npm ci"), expect.stringContaining("tsc -b")]));
    expect(build.cachedRuns.some((command) => command.includes("prepare.js"))).toBe(false);
  });
});
