/**
 * Bundles the compiled server (dist/*.js, CommonJS) into one file, dist/main.bundle.js, which the image runs
 * (`fprocess`): at start Node then reads and compiles one file instead of resolving and loading each
 * module, which measurably shortens the start and keeps the idle RSS at the bare server's (see
 * `npm run bench -- template`). Each module keeps its own scope and is evaluated when first required,
 * as before (so the router, loaded only for router handlers, stays lazy). Run by the Dockerfile after
 * `tsc -b`; the repository layout (the sandbox) runs dist/main.js unbundled.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The bundle's file name in dist/. */
export const BUNDLE_FILE = "main.bundle.js";

const LOCAL_REQUIRE = /\brequire\("\.\/([\w.-]+\.js)"\)/g;
const LOCAL_IMPORT = /\bimport\("\.\/([\w.-]+\.js)"\)/g;

/** One compiled module as a function of its own `exports` and `module`; its local requires go through the bundle. */
function wrap(name: string, source: string): string {
  const body = source
    .replace(/^\/\/# sourceMappingURL=.*$/m, "")
    .replace(LOCAL_REQUIRE, (_, file: string) => `__load(${JSON.stringify(file)})`)
    .replace(LOCAL_IMPORT, (_, file: string) => `Promise.resolve().then(() => __load(${JSON.stringify(file)}))`);
  if (/\b(require|import)\("\.\.?\//.test(body)) throw new Error(`bundle: ${name} loads a local module in a form the bundle does not rewrite`);
  return `${JSON.stringify(name)}: function (exports, module) {\n${body}\n}`;
}

/** Writes `distDir/server.js` from the compiled modules beside it, starting `entry`. Returns its path. */
export function bundle(distDir: string, entry = "main.js"): string {
  const names = readdirSync(distDir)
    .filter((name) => name.endsWith(".js") && name !== BUNDLE_FILE)
    .sort();
  if (!names.includes(entry)) throw new Error(`bundle: ${entry} not found in ${distDir}`);
  const modules = names.map((name) => wrap(name, readFileSync(join(distDir, name), "utf8")));
  const out = join(distDir, BUNDLE_FILE);
  writeFileSync(
    out,
    [
      '"use strict";',
      `// The node-ts-iam server: dist/*.js bundled into one file by dist/build/bundle.js (entry ${entry}).`,
      `const __modules = {\n${modules.join(",\n")}\n};`,
      "const __loaded = {};",
      "function __load(name) {",
      "  const loaded = __loaded[name];",
      "  if (loaded !== undefined) return loaded.exports;",
      "  const module = (__loaded[name] = { exports: {} });",
      "  __modules[name](module.exports, module);",
      "  return module.exports;",
      "}",
      `__load(${JSON.stringify(entry)});`,
      "",
    ].join("\n"),
  );
  return out;
}

if (require.main === module) {
  const out = bundle(join(__dirname, ".."));
  process.stdout.write(`node-ts-iam build: bundled the server into ${out}\n`);
}
