#!/usr/bin/env node
// @ts-check
/**
 * The SDK's build step after `tsc -b` (`npm run build` here): its compiled ES modules (dist/*.js,
 * dist/kit/*.js) put into one file, dist/sdk.bundle.js, which the package's entries
 * (dist/index.bundle.js, dist/kit.bundle.js) re-export. A program that imports the SDK then loads two
 * files instead of resolving, reading and linking some thirty, which was most of what the SDK added to
 * a cold process's first call (README, Performance). The image build, the template's setup.mjs, the
 * repository's build and `npm pack` all run it after tsc, so each way the SDK is installed imports
 * the same file. tsc's modules and declarations stay beside it: the declarations are what `tsc`
 * users read, the modules what the bundle is made of.
 *
 * Each module keeps a scope of its own (an arrow function called once), and the modules run in the
 * order ES modules run: a module's imports first, depth first, in the order it names them (the root
 * entry's modules, then the kit's: loading either entry runs them all once, which costs nothing
 * more, since no module of the SDK does anything on import; test/sdk/surface.test.ts). Its
 * imports become constants taken from the modules it names, which have run by then, and its exports
 * the object its function returns. That holds for what tsc emits here (one import or export statement
 * a line, no import cycle, no `export let`), and the build checks it, failing with a line naming the
 * module where it does not: every import and export line is of a form it knows; each module's exports
 * as found are the ones Node finds; each bundle entry exports what the module entry does, name by
 * name and kind by kind.
 *
 * Plain JavaScript, checked by the test tsconfig: it runs right after tsc, with Node alone.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, posix, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The package's module entries (in dist/), each with the bundle entry written for it. */
export const ENTRIES = /** @type {const} */ ({ "index.js": "index.bundle.js", "kit.js": "kit.bundle.js" });
/** The file that holds every module. */
export const BUNDLE_FILE = "sdk.bundle.js";
/** The prefix of the names the bundle gives its modules; no module may use it. */
const RESERVED = "$sdk_";

/**
 * @typedef {{ local: string } | { from: string, name: string }} Export  a binding of its own, or a re-export
 * @typedef {object} Module
 * @property {string} file  its path in dist/, `/`-separated
 * @property {string[]} lines  its text, with its import and export statements rewritten on the lines they were on
 * @property {string[]} deps  the modules of the SDK it names, in order
 * @property {Map<string, Export>} exports  by exported name
 * @property {string[]} stars  the modules whose every export it re-exports (`export *`)
 */

const IMPORT_NAMED = /^import \{([^}]*)\} from "([^"]+)";$/;
const IMPORT_NAMESPACE = /^import \* as ([\w$]+) from "([^"]+)";$/;
const IMPORT_BARE = /^import "([^"]+)";$/;
const EXPORT_FROM = /^export \{([^}]*)\} from "([^"]+)";$/;
const EXPORT_STAR = /^export \* from "([^"]+)";$/;
const EXPORT_LIST = /^export \{([^}]*)\};$/;
const EXPORT_DECLARATION = /^export ((?:async )?function\*? ?|class |const )([\w$]+)/;
/** A line that starts an import or export statement (a dynamic `import(` and `import.meta` do not). */
const MODULE_SYNTAX = /^\s*(import|export)(?![\w$.(])/;
const SOURCE_MAP_COMMENT = /^\/\/# sourceMappingURL=/;

/** `a, b as c` as [name, alias] pairs. */
function specifiers(/** @type {string} */ list) {
  return list
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map((part) => {
      const [name = "", alias = name] = part.split(/\s+as\s+/);
      return /** @type {[string, string]} */ ([name, alias]);
    });
}

/** A module's name in the bundle. */
function moduleVariable(/** @type {string} */ file) {
  return `${RESERVED}${file.replace(/\W/g, "_")}`;
}

/**
 * Reads one compiled module: its imports and exports, and its text with them rewritten on the lines
 * they were on (so that its source map still fits, moved down by its place in the bundle).
 * @param {string} distDir
 * @param {string} file
 * @param {Map<string, string>} builtins  `node:` specifier -> its name in the bundle, shared by all modules
 * @returns {Module}
 */
function readModule(distDir, file, builtins) {
  const text = readFileSync(join(distDir, file), "utf8");
  /** @type {Module} */
  const module = { file, lines: [], deps: [], exports: new Map(), stars: [] };
  const fail = (/** @type {string} */ why, /** @type {string} */ line) => new Error(`${file}: ${why}: ${line.trim()}`);
  const lineWith = (/** @type {string} */ part) => text.split("\n").find((line) => line.includes(part)) ?? "";
  if (text.includes(RESERVED)) throw fail(`uses ${RESERVED}, the prefix of the bundle's own names`, lineWith(RESERVED));
  // In the bundle, import.meta is the bundle's, in dist/: the same only for a module in dist/ itself.
  if (file.includes("/") && text.includes("import.meta")) throw fail("import.meta in a module below dist/, where the bundle's would not be its own", lineWith("import.meta"));
  /** The bundle's name for what a specifier names: one of the SDK's modules, or a builtin. */
  const target = (/** @type {string} */ specifier, /** @type {string} */ line) => {
    if (specifier.startsWith("node:")) {
      if (!builtins.has(specifier)) builtins.set(specifier, `${RESERVED}builtin${builtins.size}`);
      return { name: /** @type {string} */ (builtins.get(specifier)), internal: undefined };
    }
    if (!specifier.startsWith("./") && !specifier.startsWith("../")) throw fail("a static import of a package (the bundle takes builtins and the SDK's own modules only)", line);
    const internal = posix.join(posix.dirname(file), specifier);
    if (!internal.endsWith(".js") || !existsSync(join(distDir, internal))) throw fail(`${internal} is not a compiled module here`, line);
    module.deps.push(internal);
    return { name: moduleVariable(internal), internal };
  };
  /** The SDK module a re-export names (a builtin's exports are not the SDK's to re-export). */
  const reexported = (/** @type {string} */ specifier, /** @type {string} */ line) => {
    const { internal } = target(specifier, line);
    if (internal === undefined) throw fail("a re-export of a builtin", line);
    return internal;
  };
  for (const line of text.split("\n")) {
    let m;
    let out = line;
    if (SOURCE_MAP_COMMENT.test(line)) out = "";
    else if ((m = IMPORT_NAMED.exec(line))) {
      const bindings = specifiers(m[1] ?? "").map(([name, local]) => (name === local ? name : `${name}: ${local}`));
      out = `const { ${bindings.join(", ")} } = ${target(m[2] ?? "", line).name};`;
    } else if ((m = IMPORT_NAMESPACE.exec(line))) out = `const ${m[1]} = ${target(m[2] ?? "", line).name};`;
    else if ((m = IMPORT_BARE.exec(line))) out = (target(m[1] ?? "", line), "");
    else if ((m = EXPORT_FROM.exec(line))) {
      const from = reexported(m[2] ?? "", line);
      for (const [name, alias] of specifiers(m[1] ?? "")) module.exports.set(alias, { from, name });
      out = "";
    } else if ((m = EXPORT_STAR.exec(line))) {
      module.stars.push(reexported(m[1] ?? "", line));
      out = "";
    } else if ((m = EXPORT_LIST.exec(line))) {
      for (const [local, alias] of specifiers(m[1] ?? "")) module.exports.set(alias, { local });
      out = "";
    } else if ((m = EXPORT_DECLARATION.exec(line))) {
      module.exports.set(m[2] ?? "", { local: m[2] ?? "" });
      out = " ".repeat("export ".length) + line.slice("export ".length); // the same columns, for the source map
    } else if (MODULE_SYNTAX.test(line)) throw fail("an import or export statement of a form the bundle does not know", line);
    module.lines.push(out);
  }
  return module;
}

/**
 * Every export of a module, each with the expression that gives it inside the module's function.
 * @param {Map<string, Module>} modules
 * @param {string} file
 * @returns {Map<string, string>}
 */
function exportsOf(modules, file) {
  const module = /** @type {Module} */ (modules.get(file));
  /** @type {Map<string, string>} */
  const names = new Map();
  for (const star of module.stars) for (const name of exportsOf(modules, star).keys()) if (name !== "default") names.set(name, `${moduleVariable(star)}.${name}`);
  for (const [name, source] of module.exports) names.set(name, "local" in source ? source.local : `${moduleVariable(source.from)}.${source.name}`);
  return names;
}

/**
 * @typedef {object} Bundle
 * @property {Map<string, string>} files  name in dist/ -> content: the bundle, its source map, the entries
 * @property {Map<string, string[]>} exports  each module in the bundle (path in dist/) -> the names it exports
 */

/**
 * Makes the bundle of the compiled modules in `distDir`, reached from {@link ENTRIES}; writes nothing.
 * Throws an Error naming the module and line it cannot bundle.
 * @param {string} distDir
 * @returns {Bundle}
 */
export function bundleSdk(distDir) {
  /** @type {Map<string, string>} */
  const builtins = new Map();
  /** @type {Map<string, Module>} */
  const modules = new Map();
  /** @type {Set<string>} */
  const visiting = new Set();
  // Map insertion order is the order ES modules run in: a module's imports first, depth first.
  const visit = (/** @type {string} */ file, /** @type {string[]} */ path) => {
    if (modules.has(file)) return;
    if (visiting.has(file)) throw new Error(`an import cycle, ${[...path, file].join(" -> ")}: the bundle runs each module once, after the modules it imports`);
    visiting.add(file);
    const module = readModule(distDir, file, builtins);
    for (const dep of module.deps) visit(dep, [...path, file]);
    modules.set(file, module);
  };
  for (const entry of Object.keys(ENTRIES)) visit(entry, []);

  const body = [];
  /** @type {Parameters<typeof mergeSourceMaps>[0]} */
  const maps = [];
  for (const module of modules.values()) {
    body.push(`const ${moduleVariable(module.file)} = (() => {`);
    const map = readSourceMap(distDir, module.file);
    // Lines counted from the top of the file: the header (comment and builtin imports) comes first.
    if (map) maps.push({ line: 1 + builtins.size + body.length, map });
    body.push(...module.lines);
    const names = [...exportsOf(modules, module.file)].map(([name, value]) => (name === value ? name : `${name}: ${value}`));
    body.push(`return { ${names.join(", ")} };`, "})();");
  }
  /** @type {Map<string, string>} */
  const files = new Map();
  /** @type {Set<string>} */
  const exported = new Set();
  for (const [entry, bundleEntry] of Object.entries(ENTRIES)) {
    const names = [...exportsOf(modules, entry).keys()];
    for (const name of names) {
      if (exported.has(name)) throw new Error(`${name} is exported by two entries, which share one bundle`);
      exported.add(name);
    }
    body.push(`export const { ${names.join(", ")} } = ${moduleVariable(entry)};`);
    files.set(bundleEntry, `// @node-ts-iam/sdk: what ${entry} exports, from the bundle (written by bundle.mjs).\nexport { ${names.join(", ")} } from "./${BUNDLE_FILE}";\n`);
  }
  const header = [
    `// @node-ts-iam/sdk: the compiled modules of dist/ in one file, written by bundle.mjs after tsc; its entries are ${Object.values(ENTRIES).join(" and ")}.`,
    ...[...builtins].map(([specifier, name]) => `import * as ${name} from ${JSON.stringify(specifier)};`),
  ];
  const lines = [...header, ...body, `//# sourceMappingURL=${BUNDLE_FILE}.map`, ""];
  files.set(BUNDLE_FILE, lines.join("\n"));
  files.set(`${BUNDLE_FILE}.map`, `${JSON.stringify(mergeSourceMaps(maps, lines.length))}\n`);
  return { files, exports: new Map([...modules.keys()].map((file) => [file, [...exportsOf(modules, file).keys()]])) };
}

/** A module's source map, its sources made relative to dist/ (the bundle's folder); undefined without one. */
function readSourceMap(/** @type {string} */ distDir, /** @type {string} */ file) {
  const path = join(distDir, `${file}.map`);
  if (!existsSync(path)) return undefined;
  const map = /** @type {{ sources: string[], names: string[], mappings: string }} */ (JSON.parse(readFileSync(path, "utf8")));
  return { ...map, sources: map.sources.map((source) => posix.normalize(posix.join(posix.dirname(file), source))) };
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** A source map's `mappings` as lines of segments, each [column, source, line, column(, name)], absolute. */
function decodeMappings(/** @type {string} */ mappings) {
  const state = [0, 0, 0, 0, 0];
  return mappings.split(";").map((line) => {
    state[0] = 0; // the generated column starts again on each line; the other fields carry on
    return line === ""
      ? []
      : line.split(",").map((segment) => {
          const fields = [];
          for (let i = 0, value = 0, shift = 0; i < segment.length; i++) {
            const digit = BASE64.indexOf(segment.charAt(i));
            value += (digit & 31) << shift;
            if (digit & 32) shift += 5;
            else {
              fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
              value = shift = 0;
            }
          }
          return fields.map((delta, i) => (state[i] = /** @type {number} */ (state[i]) + delta));
        });
  });
}

/** Lines of absolute segments as a source map's `mappings`. */
function encodeMappings(/** @type {number[][][]} */ lines) {
  const state = [0, 0, 0, 0, 0];
  const vlq = (/** @type {number} */ n) => {
    let value = n < 0 ? (-n << 1) | 1 : n << 1;
    let out = "";
    do {
      const digit = value & 31;
      value >>>= 5;
      out += BASE64.charAt(value > 0 ? digit | 32 : digit);
    } while (value > 0);
    return out;
  };
  return lines
    .map((segments) => {
      state[0] = 0;
      return segments.map((fields) => fields.map((value, i) => vlq(value - /** @type {number} */ (state[i])) + ((state[i] = value), "")).join("")).join(",");
    })
    .join(";");
}

/**
 * One source map for the bundle from its modules' maps, each moved down to the line its module starts
 * on (the modules keep their lines and columns in the bundle).
 * @param {{ line: number, map: { sources: string[], names: string[], mappings: string } }[]} parts
 * @param {number} lineCount  lines of the bundle
 */
function mergeSourceMaps(parts, lineCount) {
  /** @type {string[]} */
  const sources = [];
  /** @type {string[]} */
  const names = [];
  /** @type {number[][][]} */
  const lines = Array.from({ length: lineCount }, () => []);
  const indexIn = (/** @type {string[]} */ list, /** @type {string} */ value) => (list.includes(value) ? list.indexOf(value) : list.push(value) - 1);
  for (const { line, map } of parts) {
    decodeMappings(map.mappings).forEach((segments, i) => {
      lines[line + i] = segments.map(([column = 0, source, ...rest]) => {
        if (source === undefined) return [column];
        const [origLine = 0, origColumn = 0, name] = rest;
        const out = [column, indexIn(sources, /** @type {string} */ (map.sources[source])), origLine, origColumn];
        return name === undefined ? out : [...out, indexIn(names, /** @type {string} */ (map.names[name]))];
      });
    });
  }
  return { version: 3, file: BUNDLE_FILE, sources, names, mappings: encodeMappings(lines) };
}

/**
 * Writes the bundle's files into `distDir`, leaving alone each one that already holds its content.
 * @param {string} distDir
 * @param {Bundle} bundle
 * @returns {string[]} the names written
 */
export function writeBundle(distDir, bundle) {
  const written = [];
  for (const [name, content] of bundle.files) {
    const path = join(distDir, name);
    if (existsSync(path) && readFileSync(path, "utf8") === content) continue;
    writeFileSync(path, content);
    written.push(name);
  }
  return written;
}

/**
 * Checks a written bundle against the modules it was made of, as Node loads them: each module's
 * exports as the bundle found them, and each bundle entry's exports, name by name and kind by kind.
 * Throws an Error naming the first difference.
 * @param {string} distDir
 * @param {Bundle} bundle
 */
export async function checkBundle(distDir, bundle) {
  const load = async (/** @type {string} */ file) => /** @type {Record<string, unknown>} */ (await import(pathToFileURL(join(distDir, file)).href));
  const sorted = (/** @type {Iterable<string>} */ names) => [...names].sort().join(", ");
  for (const [file, names] of bundle.exports) {
    const real = Object.keys(await load(file));
    if (sorted(real) !== sorted(names)) throw new Error(`${file}: the bundle found the exports { ${sorted(names)} }, Node finds { ${sorted(real)} }`);
  }
  const kinds = (/** @type {Record<string, unknown>} */ ns) => sorted(Object.keys(ns).map((name) => `${name}: ${typeof ns[name]}`));
  for (const [entry, bundleEntry] of Object.entries(ENTRIES)) {
    const [modules, bundled] = [kinds(await load(entry)), kinds(await load(bundleEntry))];
    if (modules !== bundled) throw new Error(`${bundleEntry} exports { ${bundled} }, ${entry} { ${modules} }`);
  }
}

// `node bundle.mjs`: bundles the dist/ beside this file; `--clean` removes the bundle (as `tsc -b
// --clean` removes what tsc wrote). A bundle that fails its check is removed too, so that the package's
// entries fail to load, naming the file, instead of running what was not checked.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const distDir = join(dirname(fileURLToPath(import.meta.url)), "dist");
  const remove = () => {
    for (const name of [BUNDLE_FILE, `${BUNDLE_FILE}.map`, ...Object.values(ENTRIES)]) rmSync(join(distDir, name), { force: true });
  };
  try {
    if (process.argv[2] === "--clean") remove();
    else {
      const bundle = bundleSdk(distDir);
      writeBundle(distDir, bundle);
      await checkBundle(distDir, bundle);
    }
  } catch (error) {
    remove();
    process.stderr.write(`@node-ts-iam/sdk bundle: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
