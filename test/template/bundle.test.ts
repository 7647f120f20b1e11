/**
 * The server bundle the image runs (dist/main.bundle.js, src/build/bundle.ts): self-contained, it
 * serves plain and router handlers with nothing else of dist/ beside it; a module it cannot rewrite
 * stops the bundling.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle, BUNDLE_FILE } from "../../template/node-ts-iam/src/build/bundle.js";
import { TEMPLATE_DIR } from "./support/faas-build.js";
import { HANDLERS } from "./support/in-process.js";
import { send, startChild, type ChildServer } from "./support/process.js";

describe("the server bundle", () => {
  const app = mkdtempSync(join(tmpdir(), "node-ts-iam-bundle-"));
  const children: ChildServer[] = [];
  beforeAll(() => {
    // The image's layout: the template's package.json (CommonJS) and dist/ with the bundle alone.
    cpSync(join(TEMPLATE_DIR, "package.json"), join(app, "package.json"));
    cpSync(join(TEMPLATE_DIR, "node_modules"), join(app, "node_modules"), { recursive: true, verbatimSymlinks: true });
    cpSync(join(TEMPLATE_DIR, "dist"), join(app, "dist"), { recursive: true, filter: (source) => !source.includes("/build") });
    bundle(join(app, "dist"));
    for (const file of readdirSync(join(app, "dist"))) if (file !== BUNDLE_FILE) rmSync(join(app, "dist", file), { recursive: true });
  });
  afterAll(() => {
    for (const child of children) child.kill();
    rmSync(app, { recursive: true, force: true });
  });
  const start = async (handler: string): Promise<ChildServer> => {
    const child = await startChild({ command: process.execPath, args: [`dist/${BUNDLE_FILE}`], cwd: app, env: { HANDLER_PATH: join(HANDLERS, handler) } });
    children.push(child);
    return child;
  };

  it("serves a handler with nothing but itself in dist/", async () => {
    expect(readdirSync(join(app, "dist"))).toEqual([BUNDLE_FILE]);
    const server = await start("commonjs.cjs");
    const answer = await send(server.port, { method: "POST", headers: { "content-type": "application/json" }, body: '{"b":2}' });
    expect(JSON.parse(answer.text)).toEqual({ commonjs: true, body: { b: 2 } });
  });

  it("loads the router module it holds when a handler exports a router", async () => {
    const server = await start("router.mjs");
    const answer = await send(server.port, { path: "/items/7?full=yes" });
    expect([answer.status, JSON.parse(answer.text)]).toEqual([200, { id: "7", query: { full: "yes" } }]);
  });

  it("imports an ES module handler with top-level await (the import() the bundle leaves as it is)", async () => {
    const child = await startChild({ command: process.execPath, args: [`dist/${BUNDLE_FILE}`], cwd: app, env: { HANDLER_PATH: join(HANDLERS, "slow-load.mjs"), LOAD_DELAY_MS: "20" } });
    children.push(child);
    expect(JSON.parse((await send(child.port, { path: "/" })).text)).toEqual({ loaded: true });
  });

  it("refuses a module that loads a local module in a form it does not rewrite", () => {
    const dir = mkdtempSync(join(tmpdir(), "node-ts-iam-bundle-bad-"));
    try {
      writeFileSync(join(dir, "main.js"), 'const up = require("../elsewhere.js");\n');
      expect(() => bundle(dir)).toThrow("bundle: main.js loads a local module in a form the bundle does not rewrite");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
