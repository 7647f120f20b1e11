/**
 * The server bundle the image runs (src/build/bundle.ts), made as the Dockerfile makes it (`node
 * dist/build/bundle.js`, then everything of dist/ but `main.bundle*` removed): the entry, the server in
 * one file and V8's code cache for it. It serves plain, router and ES module handlers with nothing else
 * of dist/ beside it; the cache is one this Node takes; without it, or with a damaged one, the server
 * compiles as usual; a module it cannot rewrite stops the bundling.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle, BUNDLE_FILE, CACHE_FILE, compileServer, SERVER_FILE } from "../../template/node-ts-iam/src/build/bundle.js";
import { REPO_ROOT, TEMPLATE_DIR } from "./support/faas-build.js";
import { HANDLERS } from "./support/in-process.js";
import { send, startChild, type ChildServer } from "./support/process.js";

describe("the server bundle", () => {
  const app = mkdtempSync(join(tmpdir(), "node-ts-iam-bundle-"));
  const dist = join(app, "dist");
  const children: ChildServer[] = [];
  let buildOutput: string;
  beforeAll(() => {
    execFileSync(join(REPO_ROOT, "node_modules/.bin/tsc"), ["-b", "--builders", "1", TEMPLATE_DIR], { cwd: REPO_ROOT, stdio: "pipe" });
    // The image's layout: the template's package.json (CommonJS) and dist/ as the build stage leaves it.
    cpSync(join(TEMPLATE_DIR, "package.json"), join(app, "package.json"));
    cpSync(join(TEMPLATE_DIR, "node_modules"), join(app, "node_modules"), { recursive: true, verbatimSymlinks: true });
    cpSync(join(TEMPLATE_DIR, "dist"), dist, { recursive: true, filter: (source) => !/main\.bundle/.test(source) });
    buildOutput = execFileSync(process.execPath, ["dist/build/bundle.js"], { cwd: app, encoding: "utf8" });
    // The Dockerfile's clean-up.
    rmSync(join(dist, "build"), { recursive: true });
    for (const file of readdirSync(dist)) if (!file.startsWith("main.bundle")) rmSync(join(dist, file), { recursive: true });
  }, 60_000);
  afterAll(() => {
    for (const child of children) child.kill();
    rmSync(app, { recursive: true, force: true });
  });
  const start = async (handler: string, env: Record<string, string> = {}): Promise<ChildServer> => {
    const child = await startChild({ command: process.execPath, args: [`dist/${BUNDLE_FILE}`], cwd: app, env: { HANDLER_PATH: join(HANDLERS, handler), ...env } });
    children.push(child);
    return child;
  };
  const echo = async (server: ChildServer): Promise<unknown> => {
    const answer = await send(server.port, { method: "POST", headers: { "content-type": "application/json" }, body: '{"b":2}' });
    return JSON.parse(answer.text);
  };

  it("serves a handler with nothing but the entry, the server and its code cache in dist/", async () => {
    expect(readdirSync(dist).sort()).toEqual([BUNDLE_FILE, SERVER_FILE, CACHE_FILE].sort());
    expect(await echo(await start("commonjs.cjs"))).toEqual({ commonjs: true, body: { b: 2 } });
  });

  it("makes a code cache that this Node takes, with more than the top level in it", () => {
    expect(buildOutput).toContain(`with V8's code cache for this Node (${process.version})`);
    const cache = readFileSync(join(dist, CACHE_FILE));
    expect(compileServer(join(dist, SERVER_FILE), cache).cachedDataRejected).toBe(false);
    // Compiled and not run, the same file caches only its top level: the warm-up's requests add the rest.
    expect(cache.length).toBeGreaterThan(4 * compileServer(join(dist, SERVER_FILE)).createCachedData().length);
  });

  it("loads the router module it holds when a handler exports a router, and an ES module with top-level await", async () => {
    const router = await start("router.mjs");
    const answer = await send(router.port, { path: "/items/7?full=yes" });
    expect([answer.status, JSON.parse(answer.text)]).toEqual([200, { id: "7", query: { full: "yes" } }]);
    // Top-level await: loaded with import(), from inside the compiled server.
    const esm = await start("slow-load.mjs", { LOAD_DELAY_MS: "20" });
    expect(JSON.parse((await send(esm.port, { path: "/" })).text)).toEqual({ loaded: true });
    expect(esm.stderr()).not.toContain("Warning");
  });

  it("compiles as usual without its cache, or with one this Node refuses", async () => {
    const cache = readFileSync(join(dist, CACHE_FILE));
    try {
      writeFileSync(join(dist, CACHE_FILE), Buffer.from("not a code cache"));
      expect(await echo(await start("commonjs.cjs"))).toEqual({ commonjs: true, body: { b: 2 } });
      rmSync(join(dist, CACHE_FILE));
      expect(await echo(await start("commonjs.cjs"))).toEqual({ commonjs: true, body: { b: 2 } });
    } finally {
      writeFileSync(join(dist, CACHE_FILE), cache);
    }
  });

  it("refuses a module that loads a local module in a form it does not rewrite (require or import of another folder)", () => {
    const dir = mkdtempSync(join(tmpdir(), "node-ts-iam-bundle-bad-"));
    try {
      writeFileSync(join(dir, "main.js"), 'const up = require("../elsewhere.js");\n');
      expect(() => bundle(dir)).toThrow("bundle: main.js loads a local module in a form the bundle does not rewrite");
      writeFileSync(join(dir, "main.js"), 'const up = import("../elsewhere.js");\n');
      expect(() => bundle(dir)).toThrow("bundle: main.js loads a local module in a form the bundle does not rewrite");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
