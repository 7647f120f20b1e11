/**
 * The template with the real faas-cli (../shared/peers): `faas-cli new --lang node-ts-iam`, then
 * `faas-cli build --shrinkwrap`, for a new function and for a node22 folder moved over unchanged (the
 * template README's "From node22" example: the stack's `lang: node22` becomes `node-ts-iam`, nothing
 * else). The context faas-cli writes equals the repository's emulation (test/template/support) file by
 * file, and the Dockerfile's steps replayed on that real context give a server that answers with the
 * user's handler. A third folder holds the node22 patterns that broke: a redirect by returning the
 * context, and a body 5 MiB over the limit that a Node client must get its 413 for.
 */
import { createHash } from "node:crypto";
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { copyTemplate, dockerBuild, layoutContext, readFprocess, type FaasBuild } from "../template/support/faas-build.js";
import { send, type ChildServer } from "../template/support/process.js";
import { listFiles, startShipped } from "../template/support/ship.js";
import { faasCli } from "./support/peers.js";

const PORT_FIXTURE = join(import.meta.dirname, "../template/fixtures/node22-port");
const PATTERNS_FIXTURE = join(import.meta.dirname, "../template/fixtures/node22/patterns");
// Made in beforeAll, so that collecting the tests (vitest list) leaves nothing in /tmp.
let work: string;
let home: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "node-ts-iam-faas-cli-"));
  home = join(work, "home");
  mkdirSync(home);
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Every file and link under `dir` with its mode and content hash (or link target): what a context holds. */
function manifest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      const full = join(dir, path);
      if (entry.isDirectory()) walk(path);
      else if (entry.isSymbolicLink()) out[path] = `link ${readlinkSync(full)}`;
      else out[path] = `${(lstatSync(full).mode & 0o777).toString(8)} ${createHash("sha256").update(readFileSync(full)).digest("hex")}`;
    }
  };
  walk("");
  return out;
}

/** A project folder holding the template as `faas-cli template pull` leaves it. */
function project(name: string): string {
  const dir = join(work, name);
  copyTemplate(join(dir, "template/node-ts-iam"));
  return dir;
}

/** `faas-cli build --shrinkwrap`, then the emulation's layout of the same folders, for comparison. */
async function shrinkwrap(dir: string, fn: string): Promise<{ real: string; emulated: string }> {
  const built = await faasCli(["build", "--shrinkwrap", "-f", "stack.yaml"], { home, cwd: dir });
  expect(built.code, built.stdout + built.stderr).toBe(0);
  expect(built.stdout).toContain(`${fn} shrink-wrapped to build/${fn}`);
  const emulated = join(dir, "emulated", fn);
  layoutContext(join(dir, "template/node-ts-iam"), join(dir, fn), emulated);
  return { real: join(dir, "build", fn), emulated };
}

/** The Dockerfile's steps replayed on a real context, then the shipped server started. */
async function replay(contextDir: string, workDir: string, env: Record<string, string> = {}): Promise<{ build: FaasBuild; server: ChildServer }> {
  const built = await dockerBuild({ contextDir, workDir, cache: join(work, "layer-cache") });
  const build = { ...built, fprocess: readFprocess(contextDir) };
  return { build, server: await startShipped(build, env) };
}

describe("faas-cli new --lang node-ts-iam, then build --shrinkwrap", () => {
  let dir: string;
  let contexts: { real: string; emulated: string };
  let server: ChildServer | undefined;
  beforeAll(async () => {
    dir = project("new-function");
    const created = await faasCli(["new", "hello", "--lang", "node-ts-iam"], { home, cwd: dir });
    expect(created.code, created.stdout + created.stderr).toBe(0);
    contexts = await shrinkwrap(dir, "hello");
    server = (await replay(contexts.real, join(dir, "image"))).server;
  }, 240_000);
  afterAll(() => server?.kill());

  it("writes the handler folder from the template's sample and a stack file naming it", () => {
    expect(listFiles(join(dir, "hello")).sort()).toEqual(["handler.test.ts", "handler.ts", "package.json", "tsconfig.json"]);
    const stack = parseYaml(readFileSync(join(dir, "stack.yaml"), "utf8")) as { functions: Record<string, unknown> };
    expect(stack.functions["hello"]).toEqual({ lang: "node-ts-iam", handler: "./hello", image: "hello:latest" });
  });

  it("writes the context the emulation writes, file by file (paths, modes, contents)", () => {
    expect(Object.keys(manifest(contexts.real)).length).toBeGreaterThan(40);
    expect(manifest(contexts.emulated)).toEqual(manifest(contexts.real));
  });

  it("replayed, answers with the sample handler", async () => {
    const answer = await send(server!.port, { method: "POST", path: "/echo?x=1", headers: { "content-type": "application/json" }, body: '{"hello":"world"}' });
    expect([answer.status, answer.headers["cache-control"]]).toEqual([200, "no-store"]);
    expect(JSON.parse(answer.text)).toEqual({ method: "POST", path: "/echo", query: { x: "1" }, body: { hello: "world" } });
  });
});

describe("a node22 folder moved over unchanged (the template README's From node22 example)", () => {
  let dir: string;
  let contexts: { real: string; emulated: string };
  let build: FaasBuild;
  let server: ChildServer | undefined;
  beforeAll(async () => {
    dir = project("ported");
    cpSync(PORT_FIXTURE, dir, { recursive: true });
    // The one step: the stack's language.
    const stack = readFileSync(join(dir, "stack.yaml"), "utf8");
    writeFileSync(join(dir, "stack.yaml"), stack.replace("lang: node22", "lang: node-ts-iam"));
    // As a node22 user has it: dependencies installed locally, for this machine.
    mkdirSync(join(dir, "hello/node_modules/local-only"), { recursive: true });
    writeFileSync(join(dir, "hello/node_modules/local-only/index.js"), "module.exports = 1;\n");
    contexts = await shrinkwrap(dir, "hello");
    ({ build, server } = await replay(contexts.real, join(dir, "image")));
  }, 240_000);
  afterAll(() => server?.kill());

  it("gets a context with the template's sample files under the user's, as the emulation lays it out", () => {
    const real = manifest(contexts.real);
    for (const file of ["function/handler.js", "function/handler.ts", "function/handler.test.ts", "function/node_modules/local-only/index.js"]) expect(real).toHaveProperty([file]);
    expect(manifest(contexts.emulated)).toEqual(real);
  });

  it("builds: the build step takes handler.js, and the image holds neither the sample nor the local install", () => {
    expect(build.output).toContain("node-ts-iam build: handler: handler.js");
    expect(build.output).toContain("left out the template's sample handler.ts");
    const shipped = listFiles(join(build.shipDir, "function"));
    expect(shipped.filter((file) => file.startsWith("node_modules/") || file.startsWith("handler.ts") || file.startsWith("dist/"))).toEqual([]);
  });

  it("replayed, answers with the user's handler.js", async () => {
    const answer = await send(server!.port, { path: "/?name=Ada" });
    expect([answer.status, answer.headers["content-type"], answer.text]).toEqual([200, "text/plain; charset=utf-8", "Hello, Ada!\n"]);
  });
});

describe("node22 patterns that broke: a redirect by returning the context, a body 5 MiB over the limit", () => {
  let dir: string;
  let contexts: { real: string; emulated: string };
  let parsed: ChildServer | undefined;
  let raw: ChildServer | undefined;
  const over = Buffer.alloc(5 * 1024 * 1024 + 100 * 1024, 0x61);
  beforeAll(async () => {
    dir = project("patterns");
    cpSync(PATTERNS_FIXTURE, join(dir, "patterns"), { recursive: true });
    writeFileSync(
      join(dir, "stack.yaml"),
      "version: 1.0\nprovider:\n  name: openfaas\n  gateway: http://127.0.0.1:8080\nfunctions:\n  patterns:\n    lang: node-ts-iam\n    handler: ./patterns\n    image: patterns:latest\n",
    );
    contexts = await shrinkwrap(dir, "patterns");
    const replayed = await replay(contexts.real, join(dir, "image"));
    parsed = replayed.server;
    // The same image deployed with RAW_BODY=true.
    raw = await startShipped(replayed.build, { RAW_BODY: "true" });
  }, 240_000);
  afterAll(() => {
    parsed?.kill();
    raw?.kill();
  });

  it("gets the context the emulation lays out", () => {
    expect(manifest(contexts.emulated)).toEqual(manifest(contexts.real));
  });

  it("answers the redirect with its status and Location, and no body", async () => {
    const answer = await send(parsed!.port, { path: "/redirect" });
    expect([answer.status, answer.headers["location"], answer.headers["content-type"], answer.text]).toEqual([302, "https://example.com/next", undefined, ""]);
  });

  it.each([
    ["JSON, parsed", "parsed", "application/json", "MAX_JSON_SIZE"],
    ["RAW_BODY", "raw", "application/octet-stream", "MAX_RAW_SIZE"],
  ] as const)("%s: a Node client sending 5 MiB over the limit with Connection: close reads the 413", async (_label, server, type, setting) => {
    const { request } = await import("undici");
    const port = (server === "raw" ? raw : parsed)!.port;
    const answer = await request(`http://127.0.0.1:${port}/greet`, { method: "POST", headers: { "content-type": type }, body: over, reset: true });
    expect(answer.statusCode).toBe(413);
    expect(await answer.body.json()).toEqual({ code: "BODY_TOO_LARGE", message: `request body is larger than ${setting} (102400 bytes)` });
  });
});
