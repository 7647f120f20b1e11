/**
 * Which module of a function folder the image build makes the handler (src/build/): the choice from a
 * folder's files, the loud refusals, the module-format check, and the build step itself on real folders
 * laid out as faas-cli lays them out (the template's sample function under the user's files).
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { checkModuleFormat, discoverHandler, DiscoveryError, HANDLER_NAMES, SAMPLE_SHA256, textSha256 } from "../../template/node-ts-iam/src/build/discover.js";
import { prepareFunction } from "../../template/node-ts-iam/src/build/prepare.js";
import { ENTRY_RECORD_FILE, readEntryRecord } from "../../template/node-ts-iam/src/entry-record.js";
import { REPO_ROOT, TEMPLATE_DIR } from "./support/faas-build.js";

const SAMPLE_DIR = join(TEMPLATE_DIR, "function");
const sample = (name: string) => ({ name, sample: true });
const own = (name: string) => ({ name, sample: false });
/** What faas-cli puts in function/ for a new function: the sample's four files. */
const NEW_FUNCTION = [sample("handler.ts"), sample("handler.test.ts"), sample("package.json"), own("tsconfig.json")];
const NODE22_TEST = 'echo "Error: no test specified" && exit 0';

describe("choosing the handler", () => {
  it("takes the sample handler of a new function, and keeps its test", () => {
    expect(discoverHandler(NEW_FUNCTION, "node --test dist/handler.test.js")).toEqual({ handler: "handler.ts", typescript: true, dropSamples: [] });
  });

  it("takes a node22 folder's handler.js over the template's untouched sample, which it leaves out with the sample test", () => {
    const files = [sample("handler.ts"), sample("handler.test.ts"), own("tsconfig.json"), own("handler.js"), own("package.json")];
    expect(discoverHandler(files, NODE22_TEST)).toEqual({ handler: "handler.js", typescript: false, dropSamples: ["handler.ts", "handler.test.ts"] });
  });

  it("keeps the sample test next to a JavaScript handler when the test script runs it", () => {
    const files = [sample("handler.ts"), sample("handler.test.ts"), sample("package.json"), own("handler.cjs")];
    expect(discoverHandler(files, "node --test dist/handler.test.js").dropSamples).toEqual(["handler.ts"]);
  });

  it("keeps the sample test next to the user's own handler.ts, where it skips itself", () => {
    const files = [own("handler.ts"), sample("handler.test.ts"), own("package.json")];
    expect(discoverHandler(files, "tsc -p . && node --test")).toEqual({ handler: "handler.ts", typescript: true, dropSamples: [] });
  });

  it.each(HANDLER_NAMES)("accepts %s alone", (name) => {
    const found = discoverHandler([own(name), own("package.json")], undefined);
    expect([found.handler, found.typescript]).toEqual([name, name.endsWith("ts")]);
  });

  it("refuses two handlers of the user's own, naming both, rather than load one and ignore the other", () => {
    const files = [own("handler.ts"), own("handler.js"), sample("handler.test.ts")];
    expect(() => discoverHandler(files, undefined)).toThrow(DiscoveryError);
    expect(() => discoverHandler(files, undefined)).toThrow(/2 handlers \(handler\.ts, handler\.js\) and only one can be loaded/);
    expect(() => discoverHandler([own("handler.mjs"), own("handler.cjs"), own("handler.mts")], undefined)).toThrow(/3 handlers \(handler\.mts, handler\.cjs, handler\.mjs\)/);
  });

  it("refuses a folder without a handler, saying what it looked for and what it found", () => {
    expect(() => discoverHandler([own("index.js"), own("package.json")], undefined)).toThrow(
      "the function folder has no handler: expected one of handler.ts, handler.mts, handler.cts, handler.js, handler.cjs, handler.mjs; found index.js, package.json",
    );
  });
});

describe("module format of a JavaScript handler", () => {
  const commonjs = "'use strict'\nconst os = require('os')\nmodule.exports = async (event, context) => os.hostname()\n";
  const esm = "import os from 'node:os';\nexport default async () => os.hostname();\n// module.exports = old\n";

  it("stops CommonJS code that package.json makes an ES module, saying which package.json and what to do", () => {
    expect(() => checkModuleFormat("handler.js", "module", commonjs, true)).toThrow(
      /handler\.js is CommonJS \(module\.exports\) but the template's sample package\.json \(the folder has none of its own\) says "type": "module"/,
    );
    expect(() => checkModuleFormat("handler.js", "module", "exports.handle = async () => 1;\n", false)).toThrow(/package\.json says "type": "module".*rename it handler\.cjs/);
    expect(() => checkModuleFormat("handler.mjs", "commonjs", commonjs, false)).toThrow(/rename it handler\.cjs/);
  });

  it("lets through what Node loads as written", () => {
    for (const [name, type, source] of [
      ["handler.js", undefined, commonjs],
      ["handler.js", "commonjs", commonjs],
      ["handler.cjs", "module", commonjs],
      ["handler.js", "module", esm],
      ["handler.mjs", undefined, esm],
    ] as const) {
      expect(() => checkModuleFormat(name, type, source, false), `${name} ${type}`).not.toThrow();
    }
  });
});

describe("the template's sample files", () => {
  it("are known to the build by their current content", () => {
    for (const [name, sha] of Object.entries(SAMPLE_SHA256)) expect(textSha256(join(SAMPLE_DIR, name)), name).toBe(sha);
  });

  it("include a sample test that checks for the same sample handler", () => {
    expect(readFileSync(join(SAMPLE_DIR, "handler.test.ts"), "utf8")).toContain(`SAMPLE_HANDLER_SHA256 = "${SAMPLE_SHA256["handler.ts"]}"`);
  });
});

describe("the build step (dist/build/prepare.js) on real folders", () => {
  const root = mkdtempSync(join(tmpdir(), "node-ts-iam-prepare-"));
  // The image's layout: /home/app/node_modules (TypeScript, the SDK) above /home/app/function.
  symlinkSync(join(REPO_ROOT, "node_modules"), join(root, "node_modules"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);

  let count = 0;
  /** The sample function with `files` written over it, as faas-cli lays out function/. */
  const layout = (files: Record<string, string>): string => {
    const dir = join(root, `function-${++count}`);
    cpSync(SAMPLE_DIR, dir, { recursive: true, filter: (source) => !source.includes("/dist") });
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, ".."), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    return dir;
  };
  const node22Package = JSON.stringify({ name: "openfaas-function", main: "handler.js", scripts: { test: NODE22_TEST } });

  it("records a node22 handler.js where it is, leaves out the sample's files and compiles nothing", () => {
    const dir = layout({ "handler.js": "module.exports = async () => 'hi'\n", "package.json": node22Package });
    prepareFunction(dir);
    expect(readEntryRecord(dir)).toEqual({ entry: "handler.js", source: "handler.js" });
    expect(readdirSync(dir).sort()).toEqual([ENTRY_RECORD_FILE, "handler.js", "package.json", "tsconfig.json"].sort());
  });

  it("stops on competing handlers and changes nothing", () => {
    const dir = layout({ "handler.ts": "export default () => 'mine';\n", "handler.js": "module.exports = () => 'also mine'\n" });
    const before = readdirSync(dir).sort();
    expect(() => prepareFunction(dir)).toThrow(/2 handlers \(handler\.ts, handler\.js\)/);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it("stops a CommonJS handler.js that only the template's sample package.json would make an ES module", () => {
    const dir = layout({ "handler.js": "module.exports = async () => 'hi'\n" });
    expect(() => prepareFunction(dir)).toThrow(/the template's sample package\.json/);
    expect(existsSync(join(dir, ENTRY_RECORD_FILE))).toBe(false);
  });

  it("compiles TypeScript handlers (.ts, .mts, .cts) and records the compiled module", () => {
    const plain = layout({});
    prepareFunction(plain);
    expect(readEntryRecord(plain)).toEqual({ entry: "dist/handler.js", source: "handler.ts" });
    expect(existsSync(join(plain, "dist/handler.test.js"))).toBe(true);

    const esm = layout({ "handler.mts": "export default async () => ({ mts: true });\n" });
    prepareFunction(esm);
    expect(readEntryRecord(esm)).toEqual({ entry: "dist/handler.mjs", source: "handler.mts" });
    expect(existsSync(join(esm, "handler.ts"))).toBe(false);

    const cjs = layout({ "handler.cts": "export default async () => ({ cts: true });\n", "package.json": node22Package });
    prepareFunction(cjs);
    expect(readEntryRecord(cjs)).toEqual({ entry: "dist/handler.cjs", source: "handler.cts" });
    expect(readFileSync(join(cjs, "dist/handler.cjs"), "utf8")).toContain("exports.default");
  });

  it("compiles the sample as CommonJS under a package.json without \"type\", its test included", () => {
    const dir = layout({ "package.json": JSON.stringify({ name: "fn", scripts: { test: "node --test dist/handler.test.js" } }) });
    prepareFunction(dir);
    expect(readFileSync(join(dir, "dist/handler.js"), "utf8")).toContain("exports.default");
    expect(readFileSync(join(dir, "dist/handler.test.js"), "utf8")).toContain('require("node:test")');
  });

  it("says where tsc should have written the handler when the tsconfig sends it elsewhere", () => {
    const tsconfig = JSON.parse(readFileSync(join(SAMPLE_DIR, "tsconfig.json"), "utf8").replace(/^\s*\/\/.*$/gm, "")) as { compilerOptions: Record<string, unknown> };
    tsconfig.compilerOptions["outDir"] = "out";
    const dir = layout({ "tsconfig.json": JSON.stringify(tsconfig) });
    expect(() => prepareFunction(dir)).toThrow('tsc wrote no dist/handler.js from handler.ts: the function\'s tsconfig.json must compile it into dist/ (outDir "dist", rootDir ".")');
  });

  it("as a command, prints the refusal and exits 1", () => {
    const dir = layout({ "handler.mjs": "export default () => 1;\n", "handler.cjs": "module.exports = () => 1;\n" });
    const run = spawnSync(process.execPath, [join(TEMPLATE_DIR, "dist/build/prepare.js")], { cwd: dir, encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("node-ts-iam build: error: the function folder has 2 handlers (handler.cjs, handler.mjs)");
  });
});
