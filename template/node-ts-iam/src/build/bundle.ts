/**
 * Bundles the compiled server (dist/*.js, CommonJS) for the image, in three files of dist/:
 * - `main.bundle.server.js`: every module in one file, each keeping its own scope and evaluated when
 *   first required (so the router, loaded only for router handlers, stays lazy). At start Node then reads
 *   and compiles one file instead of resolving and loading each module.
 * - `main.bundle.server.v8cache`: V8's code cache for that file, made here by serving a few requests
 *   with it, so that it holds the functions a request runs, not only the top level. Parsing and
 *   compiling the server was most of what a start costs beyond a bare `node:http` server.
 * - `main.bundle.js`, the entry (`fprocess`): compiles the server with the cache and runs it. A cache
 *   this Node refuses (another V8, other V8 flags) or none at all only means compiling as usual.
 * The figures are in `npm run bench -- template`. Run by the Dockerfile after `tsc -b`, in the image's
 * Node, which is the one the cache is for; the repository layout (the sandbox) runs dist/main.js unbundled.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Script } from "node:vm";

/** The entry's file name in dist/ (the template's `fprocess`). */
export const BUNDLE_FILE = "main.bundle.js";
/** The bundled server, compiled by the entry. */
export const SERVER_FILE = "main.bundle.server.js";
/** V8's code cache for the server. */
export const CACHE_FILE = "main.bundle.server.v8cache";

/**
 * The server's code runs as the body of a function given the entry's `require`, its own file and folder
 * names, and the entry's `import()` (code compiled by `node:vm` has none of its own without an
 * experimental option, and Node 20 loses it with a cache). The entry compiles exactly this text: V8
 * takes a cache only for the source it was made from.
 */
const HEAD = "(function (require, __filename, __dirname, __import) {";
const TAIL = "\n})";

/** The function the server's code is, run with a `require` for `file` and `importModule` for its `import()`s. */
export type ServerFunction = (require: NodeJS.Require, filename: string, dirname: string, importModule: (specifier: string) => Promise<unknown>) => void;

/** The server `file` compiled as the entry compiles it, with `cachedData` if given. */
export function compileServer(file: string, cachedData?: Buffer): Script {
  return new Script(HEAD + readFileSync(file, "utf8") + TAIL, { filename: file, cachedData });
}

const LOCAL_REQUIRE = /\brequire\("\.\/([\w.-]+\.js)"\)/g;
const LOCAL_IMPORT = /\bimport\("\.\/([\w.-]+\.js)"\)/g;
/** `import(` of anything but a relative path (those are the bundle's, or refused below). */
const OTHER_IMPORT = /(?<![.\w$])import\((?!\s*["'`]\.)/g;

/**
 * One compiled module as a function of its own `exports` and `module`; its local requires go through
 * the bundle, its other `import()`s (the handler, loaded by URL) through the entry's.
 */
function wrap(name: string, source: string): string {
  const body = source
    .replace(/^\/\/# sourceMappingURL=.*$/m, "")
    .replace(LOCAL_REQUIRE, (_, file: string) => `__load(${JSON.stringify(file)})`)
    .replace(LOCAL_IMPORT, (_, file: string) => `Promise.resolve().then(() => __load(${JSON.stringify(file)}))`)
    .replace(OTHER_IMPORT, "__import(");
  if (/\b(require|import)\("\.\.?\//.test(body)) throw new Error(`bundle: ${name} loads a local module in a form the bundle does not rewrite`);
  return `${JSON.stringify(name)}: function (exports, module) {\n${body}\n}`;
}

/** The entry, main.bundle.js: small, so that what Node parses at start is little more than a bare server's. */
const ENTRY = [
  '"use strict";',
  `// node-ts-iam: compiles ${SERVER_FILE} with V8's code cache made for it by the image build (src/build/bundle.ts); without one it compiles as usual.`,
  'const { readFileSync } = require("node:fs");',
  'const { join } = require("node:path");',
  'const vm = require("node:vm");',
  `const file = join(__dirname, ${JSON.stringify(SERVER_FILE)});`,
  "let cachedData;",
  "try {",
  `  cachedData = readFileSync(join(__dirname, ${JSON.stringify(CACHE_FILE)}));`,
  "} catch {",
  "  // No cache: compiled from the source.",
  "}",
  `const source = ${JSON.stringify(HEAD)} + readFileSync(file, "utf8") + ${JSON.stringify(TAIL)};`,
  "new vm.Script(source, { filename: file, cachedData }).runInThisContext()(require, file, __dirname, (specifier) => import(specifier));",
  "",
].join("\n");

/**
 * Writes the server and the entry into `distDir` from the compiled modules there, starting `entry`.
 * Returns the entry's path. The code cache is written by {@link writeCodeCache}.
 */
export function bundle(distDir: string, entry = "main.js"): string {
  const names = readdirSync(distDir)
    .filter((name) => name.endsWith(".js") && name !== BUNDLE_FILE && name !== SERVER_FILE)
    .sort();
  if (!names.includes(entry)) throw new Error(`bundle: ${entry} not found in ${distDir}`);
  const modules = names.map((name) => wrap(name, readFileSync(join(distDir, name), "utf8")));
  writeFileSync(
    join(distDir, SERVER_FILE),
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
  rmSync(join(distDir, CACHE_FILE), { force: true });
  const out = join(distDir, BUNDLE_FILE);
  writeFileSync(out, ENTRY);
  return out;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function call(port: number, method: string, path: string, type?: string, body?: string): Promise<number> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = type === undefined ? {} : { "content-type": type, "content-length": Buffer.byteLength(body ?? "") };
    const req = request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", () => resolve(0));
    req.end(body);
  });
}

/** What a request does in a function, in a few shapes: JSON, text and no body; values, errors, refusals. */
const WARM_UP: readonly [string, string, string?, string?][] = [
  ["POST", "/", "application/json", '{"hello":"world","n":42,"list":[1,2,3]}'],
  ["POST", "/", "text/plain", "hello"],
  ["GET", "/?name=a&tag=b&tag=c"],
  ["GET", "/?fail=1"],
  ["POST", "/", "application/json", "{malformed"],
];

/**
 * Runs the server in this process with an echo handler, sends it {@link WARM_UP}, and writes V8's
 * code cache for the server file, with the functions those requests compiled. Then ends the process.
 */
async function warmUpAndWriteCache(distDir: string): Promise<void> {
  const file = join(distDir, SERVER_FILE);
  const script = compileServer(file);
  const handlerDir = mkdtempSync(join(tmpdir(), "node-ts-iam-warm-up-"));
  const handlerPath = join(handlerDir, "handler.js");
  writeFileSync(handlerPath, 'module.exports = async (event) => { if (event.query.fail) throw new Error("warm-up"); return event.body; };\n');
  const port = await freePort();
  Object.assign(process.env, { http_port: String(port), HANDLER_PATH: handlerPath });
  (script.runInThisContext() as ServerFunction)(createRequire(file), file, distDir, (specifier) => import(specifier));
  const deadline = Date.now() + 10_000;
  while ((await call(port, "GET", "/_/ready")) !== 200) {
    if (Date.now() > deadline) throw new Error("the server did not get ready");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (let round = 0; round < 3; round++) for (const [method, path, type, body] of WARM_UP) await call(port, method, path, type, body);
  writeFileSync(join(distDir, CACHE_FILE), script.createCachedData());
  rmSync(handlerDir, { recursive: true, force: true });
  process.exit(0);
}

/**
 * Writes `distDir`'s code cache in a process of its own (the server it runs there listens, installs
 * signal handlers and logs). Returns why it could not, or undefined: a build without a cache still works.
 */
export function writeCodeCache(distDir: string): string | undefined {
  const run = spawnSync(process.execPath, [__filename, "--code-cache", distDir], { encoding: "utf8", timeout: 60_000 });
  if (run.status === 0) return undefined;
  const reason = (run.stderr || run.error?.message || `exit ${run.status}`).trim().split("\n").at(-1);
  return reason ?? `exit ${run.status}`;
}

if (require.main === module) {
  if (process.argv[2] === "--code-cache") {
    warmUpAndWriteCache(process.argv[3] as string).catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
  } else {
    const distDir = join(__dirname, "..");
    const out = bundle(distDir);
    const failed = writeCodeCache(distDir);
    process.stdout.write(
      failed === undefined
        ? `node-ts-iam build: bundled the server into ${out}, with V8's code cache for this Node (${process.version})\n`
        : `node-ts-iam build: bundled the server into ${out}; no code cache (${failed}): the server compiles at each start\n`,
    );
  }
}
