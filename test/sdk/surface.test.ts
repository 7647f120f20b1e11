/**
 * The SDK's surface: how many names the root entry exports (counted from the built declarations,
 * types included), what importing the root or the kit costs (two files of the SDK, its entry and the
 * bundle; no HTTP library, no I/O), and file names that say one role each across the template server
 * and the SDK.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");
const sdkDir = join(repoRoot, "template/node-ts-iam/sdk");

/** Most names `@node-ts-iam/sdk` may export (issue 12: go-sdk's root has about 37, ky 38). */
const ROOT_LIMIT = 60;

/**
 * Every name a built declaration file exports: `export { a, type B } from`, `export type { C } from`,
 * `export * from` (the target's names, followed), and declarations (`export declare class D`,
 * `export interface E`, ...). Anything else that exports (`export * as ns`, `export =`) fails, so a
 * new form cannot slip past the count.
 */
function exportedNames(file: string, seen = new Set<string>()): Set<string> {
  const names = new Set<string>();
  if (seen.has(file)) return names;
  seen.add(file);
  const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  // Each export starts a line in a declaration file; a list may run over several lines.
  for (const at of text.matchAll(/^export\b/gm)) {
    const statement = text.slice(at.index);
    const list = /^export\s+(?:type\s+)?\{([^}]*)\}/.exec(statement);
    const star = /^export\s+(?:type\s+)?\*\s+from\s+"([^"]+)"/.exec(statement);
    const declaration = /^export\s+(?:declare\s+)?(?:abstract\s+)?(?:class|interface|type|function|const|let|enum|namespace)\s+([A-Za-z_$][\w$]*)/.exec(statement);
    if (list) {
      for (const item of list[1]!.split(",").map((s) => s.trim()).filter(Boolean)) {
        names.add(item.replace(/^type\s+/, "").split(/\s+as\s+/).pop()!);
      }
    } else if (star) {
      for (const name of exportedNames(join(dirname(file), star[1]!.replace(/\.js$/, ".d.ts")), seen)) names.add(name);
    } else if (declaration) {
      names.add(declaration[1]!);
    } else {
      throw new Error(`${basename(file)}: an export this count does not understand: ${statement.split("\n")[0]}`);
    }
  }
  return names;
}

describe("the root entry, @node-ts-iam/sdk", () => {
  const declarations = join(sdkDir, "dist/index.d.ts");

  it(`exports ${ROOT_LIMIT} names or fewer, types included`, () => {
    const names = exportedNames(declarations);
    expect(names.size, [...names].sort().join(", ")).toBeLessThanOrEqual(ROOT_LIMIT);
    // The handler contract, the client, auth, exchange, errors and models; the kit is not here.
    for (const name of ["Handler", "FunctionEvent", "gatewayClient", "Client", "TokenAuth", "ServiceAccountTokenSource", "exchangeToken", "OpenFaaSError", "FunctionStatus", "setTransport"]) {
      expect(names, name).toContain(name);
    }
    for (const name of ["createRouter", "serveApi", "ApiError", "jsonBody", "fromGatewayError"]) expect(names, name).not.toContain(name);
  });

  it("counts every value the module exports (the count reads what Node loads)", async () => {
    const names = exportedNames(declarations);
    const values = Object.keys(await import("@node-ts-iam/sdk"));
    expect(values.length).toBeGreaterThan(20);
    for (const value of values) expect(names, value).toContain(value);
  });

  it("the count follows export * and refuses an export form it cannot count", () => {
    const dir = mkdtempSync(join(tmpdir(), "sdk-surface-"));
    try {
      writeFileSync(join(dir, "inner.d.ts"), "export declare class A {}\nexport interface B {}\nexport type C = string;\nexport declare const d = 1;\n");
      writeFileSync(join(dir, "outer.d.ts"), 'export * from "./inner.js";\nexport { e, type F as G } from "./x.js";\n');
      expect([...exportedNames(join(dir, "outer.d.ts"))].sort()).toEqual(["A", "B", "C", "G", "d", "e"]);
      writeFileSync(join(dir, "namespace.d.ts"), 'export * as everything from "./inner.js";\n');
      expect(() => exportedNames(join(dir, "namespace.d.ts"))).toThrow(/does not understand/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A child process that imports `specifier` and reports what the import loaded and which async
 * resources it created on the main thread. Module loading itself runs on the hooks thread (a
 * registered `resolve` hook records every URL there), so the file reads of the loader are not
 * counted; what remains is what the imported code did while it was evaluated.
 */
async function importCost(specifier: string): Promise<{ loaded: string[]; resources: string[] }> {
  const hooks = `
    import { appendFileSync } from "node:fs";
    let log;
    export function initialize(data) { log = data.log; }
    export async function resolve(specifier, context, next) {
      const result = await next(specifier, context);
      appendFileSync(log, result.url + "\\n");
      return result;
    }`;
  const script = `
    import { createHook } from "node:async_hooks";
    import { register } from "node:module";
    import { mkdtempSync, readFileSync, rmSync } from "node:fs";
    import { tmpdir } from "node:os";
    import { join } from "node:path";
    const dir = mkdtempSync(join(tmpdir(), "sdk-import-"));
    const log = join(dir, "loaded.log");
    register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hooks)}), { data: { log } });
    const resources = [];
    const hook = createHook({ init(_id, type) { resources.push(type); } });
    hook.enable();
    await import(${JSON.stringify(specifier)});
    hook.disable();
    const loaded = readFileSync(log, "utf8").trim().split("\\n");
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write(JSON.stringify({ loaded, resources: resources.filter((t) => t !== "PROMISE" && t !== "MESSAGEPORT") }));
  `;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: repoRoot, timeout: 30_000 });
  return JSON.parse(stdout) as { loaded: string[]; resources: string[] };
}

/** Modules that open sockets: none may load on import. */
const NETWORK_MODULES = /\/node_modules\/undici\/|^node:(https?|http2|net|tls|dns|dgram)(\/|$)/;

describe("importing the SDK", () => {
  it.each(["@node-ts-iam/sdk", "@node-ts-iam/sdk/kit"])("%s loads two files of the SDK (its entry and the bundle), no HTTP library, and does no I/O", async (specifier) => {
    const { loaded, resources } = await importCost(specifier);
    const sdkFiles = loaded.filter((url) => url.includes("/template/node-ts-iam/sdk/")).map((url) => url.slice(url.indexOf("/sdk/") + 5));
    expect(sdkFiles).toEqual([specifier === "@node-ts-iam/sdk" ? "dist/index.bundle.js" : "dist/kit.bundle.js", "dist/sdk.bundle.js"]);
    expect(loaded.filter((url) => NETWORK_MODULES.test(url))).toEqual([]);
    expect(resources).toEqual([]);
  }, 40_000);

  it("the probe sees a module that does I/O or loads an HTTP library on import", async () => {
    const module = `import "node:http"; import { readFile } from "node:fs"; readFile(${JSON.stringify(join(sdkDir, "package.json"))}, () => {});`;
    const { loaded, resources } = await importCost(`data:text/javascript,${encodeURIComponent(module)}`);
    expect(loaded).toContain("node:http");
    expect(resources).toContain("FSREQCALLBACK");
  }, 40_000);
});

describe("file names", () => {
  /** The `.ts` files under `dir`, recursively. */
  const tsFiles = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
      .map((entry) => join(entry.parentPath, entry.name));

  it("are unique across the template server (src/) and the SDK (sdk/src/), so each name says one role", () => {
    const files = [...tsFiles(join(repoRoot, "template/node-ts-iam/src")), ...tsFiles(join(sdkDir, "src"))];
    expect(files.length).toBeGreaterThan(40);
    const byName = new Map<string, string[]>();
    for (const file of files) byName.set(basename(file), [...(byName.get(basename(file)) ?? []), file.slice(repoRoot.length + 1)]);
    const clashes = [...byName.values()].filter((paths) => paths.length > 1);
    expect(clashes).toEqual([]);
  });
});
