/**
 * The SDK's bundle step (sdk/bundle.mjs): the package's entries are the bundle, made from the modules
 * tsc wrote (so every SDK test runs what ships); modules of every form tsc writes run in the bundle as
 * they run as ES modules, in the order ES modules run them; what the bundle could not keep stops it, naming the
 * module; its source map points where the modules' own maps point. Cost: a few child processes, 2 s.
 */
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { BUNDLE_FILE, bundleSdk, checkBundle, ENTRIES, writeBundle } from "../../template/node-ts-iam/sdk/bundle.mjs";

const run = promisify(execFile);
const sdkDir = resolve(import.meta.dirname, "../../template/node-ts-iam/sdk");
const distDir = join(sdkDir, "dist");
const work = mkdtempSync(join(tmpdir(), "sdk-bundle-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A folder holding `bundle.mjs` and a dist/ of the given modules, as the SDK's own folder does. */
function fixture(name: string, modules: Record<string, string>): string {
  const dir = join(work, name);
  for (const [file, text] of Object.entries(modules)) {
    mkdirSync(join(dir, "dist", file, ".."), { recursive: true });
    writeFileSync(join(dir, "dist", file), text);
  }
  copyFileSync(join(sdkDir, "bundle.mjs"), join(dir, "bundle.mjs"));
  return dir;
}

/** Runs `node bundle.mjs` in a fixture; its exit code and stderr. */
async function bundleCli(dir: string): Promise<{ code: number; stderr: string }> {
  return run(process.execPath, [join(dir, "bundle.mjs")]).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
}

describe("the SDK's package entries", () => {
  it("are the bundle, with tsc's declarations as their types", () => {
    const pkg = JSON.parse(readFileSync(join(sdkDir, "package.json"), "utf8")) as { exports: Record<string, { types: string; default: string }>; scripts: Record<string, string> };
    expect(pkg.exports).toEqual({
      ".": { types: "./dist/index.d.ts", default: `./dist/${ENTRIES["index.js"]}` },
      "./kit": { types: "./dist/kit.d.ts", default: `./dist/${ENTRIES["kit.js"]}` },
    });
    expect(pkg.scripts["build"]).toBe("tsc -b && node bundle.mjs");
  });

  it("hold what the bundle step makes of the modules in dist/ now (no bundle older than its modules)", async () => {
    const bundle = bundleSdk(distDir);
    for (const [name, content] of bundle.files) expect(readFileSync(join(distDir, name), "utf8"), `dist/${name} is not what bundle.mjs makes of dist/: run npm run build`).toBe(content);
    await checkBundle(distDir, bundle);
  });

  it("keep the modules' source maps: each line of the bundle points where its module's own map points", () => {
    const bundled = new SourceMap(JSON.parse(readFileSync(join(distDir, `${BUNDLE_FILE}.map`), "utf8")) as never);
    const lines = readFileSync(join(distDir, BUNDLE_FILE), "utf8").split("\n");
    let compared = 0;
    for (const file of ["client.js", "http.js", "kit/routes.js"]) {
      const start = lines.indexOf(`const $sdk_${file.replace(/\W/g, "_")} = (() => {`) + 1;
      const own = new SourceMap(JSON.parse(readFileSync(join(distDir, `${file}.map`), "utf8")) as never);
      const text = readFileSync(join(distDir, file), "utf8").split("\n");
      for (let line = 0; line < text.length; line += 7) {
        const column = text[line]!.search(/\S/);
        if (column < 0) continue;
        const a = own.findEntry(line, column) as { originalSource?: string; originalLine?: number; originalColumn?: number };
        const b = bundled.findEntry(start + line, column) as { originalSource?: string; originalLine?: number; originalColumn?: number };
        if (a.originalSource === undefined) continue;
        const source = relative(distDir, resolve(distDir, dirname(file), a.originalSource)).replaceAll("\\", "/");
        expect([b.originalSource, b.originalLine, b.originalColumn], `${file}:${line + 1}`).toEqual([source, a.originalLine, a.originalColumn]);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(50);
  });
});

describe("the bundle step", () => {
  /** Modules of every form tsc writes, each recording when it runs. */
  const FORMS = {
    "index.js": [
      'import { b, twice as double } from "./b.js";',
      'import * as sub from "./kit/c.js";',
      'import "./side.js";',
      'import { basename } from "node:path";',
      "(globalThis.order ??= []).push(\"index\");",
      "export const value = double(b) + sub.c;",
      "export function named() { return basename(\"/x/y.txt\"); }",
      "export async function later() { return value; }",
      "export function* counted() { yield 1; }",
      "export class Thing { static kind = \"thing\"; }",
      "const local = 7, other = 8;",
      "export { local, other as renamed };",
      'export { c as fromKit } from "./kit/c.js";',
      'export * from "./d.js";',
      "// a dynamic import is no import statement:",
      'export const lazy = () => import("node:os");',
    ].join("\n"),
    "b.js": 'import { d } from "./d.js";\n(globalThis.order ??= []).push("b");\nexport const b = d + 1;\nexport const twice = (n) => 2 * n;\n',
    "d.js": '(globalThis.order ??= []).push("d");\nexport const d = 1;\nexport const alsoD = "d";\n',
    "side.js": 'import { d } from "./d.js";\n(globalThis.order ??= []).push("side " + d);\n',
    "kit.js": 'import { b } from "./b.js";\n(globalThis.order ??= []).push("kit");\nexport { c as kitC } from "./kit/c.js";\nexport const kitB = b;\n',
    "kit/c.js": 'import { alsoD } from "../d.js";\n(globalThis.order ??= []).push("c");\nexport const c = alsoD.length * 10;\n',
  };

  /** What loading a file does: its exports (functions by name and result) and the order modules ran in. */
  const probe = async (file: string): Promise<unknown> => {
    const script = `const ns = await import(${JSON.stringify(file)});
      const shown = {};
      for (const [k, v] of Object.entries(ns)) shown[k] = typeof v === "function" ? (k === "lazy" ? typeof (await v()).cpus : k === "later" ? await v() : k === "counted" ? [...v()] : v.kind ?? v()) : v;
      process.stdout.write(JSON.stringify({ order, shown }));`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script]);
    return JSON.parse(stdout);
  };

  it("runs modules of every form tsc writes as Node runs them, in the same order, with the same exports", async () => {
    const dir = fixture("forms", FORMS);
    expect(await bundleCli(dir)).toEqual({ code: 0, stderr: "" });
    expect(readdirSync(join(dir, "dist")).filter((f) => f.includes("bundle")).sort()).toEqual(["index.bundle.js", "kit.bundle.js", "sdk.bundle.js", "sdk.bundle.js.map"]);
    type Probe = { order: string[]; shown: Record<string, unknown> };
    const [index, bundledIndex, kit, bundledKit] = (await Promise.all(["index.js", "index.bundle.js", "kit.js", "kit.bundle.js"].map((file) => probe(join(dir, "dist", file))))) as Probe[];
    expect(bundledIndex!.shown).toEqual(index!.shown);
    expect(bundledKit!.shown).toEqual(kit!.shown);
    expect(index!.order).toEqual(["d", "b", "c", "side 1", "index"]);
    expect(kit!.order).toEqual(["d", "b", "c", "kit"]);
    // The bundle runs every module once, in that order, whichever entry loads it: the root's, then the kit's.
    expect(bundledIndex!.order).toEqual(["d", "b", "c", "side 1", "index", "kit"]);
    expect(bundledKit!.order).toEqual(bundledIndex!.order);
  });

  it("leaves files that already hold their content alone", () => {
    const dir = fixture("again", FORMS);
    const bundle = bundleSdk(join(dir, "dist"));
    expect(writeBundle(join(dir, "dist"), bundle).sort()).toEqual(["index.bundle.js", "kit.bundle.js", "sdk.bundle.js", "sdk.bundle.js.map"]);
    expect(writeBundle(join(dir, "dist"), bundleSdk(join(dir, "dist")))).toEqual([]);
  });

  it.each([
    ["an import cycle", { "b.js": 'import { x } from "./index.js";\nexport const b = 1;\nexport const twice = (n) => n;\n' }, "an import cycle, index.js -> b.js -> index.js: the bundle runs each module once, after the modules it imports"],
    ["a static import of a package", { "d.js": 'import { Agent } from "undici";\nexport const d = 1;\nexport const alsoD = "d";\n' }, 'd.js: a static import of a package (the bundle takes builtins and the SDK\'s own modules only): import { Agent } from "undici";'],
    ["an export it does not know", { "d.js": "export let d = 1;\nexport const alsoD = \"d\";\n" }, "d.js: an import or export statement of a form the bundle does not know: export let d = 1;"],
    ["an import over several lines", { "d.js": 'import {\n  join,\n} from "node:path";\nexport const d = 1;\nexport const alsoD = "d";\n' }, "d.js: an import or export statement of a form the bundle does not know: import {"],
    ["import.meta below dist/", { "kit/c.js": 'import { alsoD } from "../d.js";\nexport const c = alsoD.length;\nexport const here = import.meta.url;\n' }, "kit/c.js: import.meta in a module below dist/, where the bundle's would not be its own: export const here = import.meta.url;"],
    ["a name of its own", { "d.js": "export const d = 1;\nexport const alsoD = \"d\";\nconst $sdk_x = 1;\n" }, "d.js: uses $sdk_, the prefix of the bundle's own names: const $sdk_x = 1;"],
  ])("stops at %s, naming the module, and leaves no bundle behind", async (name, change, message) => {
    const dir = fixture(`refused-${name.replace(/\W/g, "-")}`, FORMS);
    expect((await bundleCli(dir)).code).toBe(0); // a bundle from before the change
    for (const [file, text] of Object.entries(change)) writeFileSync(join(dir, "dist", file), text);
    expect(await bundleCli(dir)).toEqual({ code: 1, stderr: `@node-ts-iam/sdk bundle: ${message}\n` });
    expect(existsSync(join(dir, "dist", BUNDLE_FILE)) || existsSync(join(dir, "dist/index.bundle.js"))).toBe(false);
  });

  it("its check finds a module whose exports it read wrong, or a bundle entry that lost an export", async () => {
    const write = (name: string): [string, ReturnType<typeof bundleSdk>] => {
      const dir = join(fixture(name, FORMS), "dist");
      const bundle = bundleSdk(dir);
      writeBundle(dir, bundle);
      return [dir, bundle];
    };
    const [checked, bundle] = write("checked");
    await checkBundle(checked, bundle);
    const misread = { ...bundle, exports: new Map([...bundle.exports].map(([file, names]) => [file, file === "d.js" ? ["d"] : names])) };
    await expect(checkBundle(checked, misread)).rejects.toThrow("d.js: the bundle found the exports { d }, Node finds { alsoD, d }");
    // A folder of its own: modules once imported stay as they were loaded.
    const [tampered, itsBundle] = write("tampered");
    writeFileSync(join(tampered, "kit.bundle.js"), `export { kitC } from "./${BUNDLE_FILE}";\n`);
    await expect(checkBundle(tampered, itsBundle)).rejects.toThrow("kit.bundle.js exports { kitC: number }, kit.js { kitB: number, kitC: number }");
  });
});
