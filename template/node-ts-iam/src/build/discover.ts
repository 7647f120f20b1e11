/**
 * Which module of a function folder is its handler. faas-cli lays a build out as the template's sample
 * function with the user's folder copied over it, so the folder can hold the template's untouched
 * sample files next to the user's own: a node22 folder brings `handler.js` and `package.json` and keeps
 * the sample's `handler.ts`, `handler.test.ts` and `tsconfig.json`. The sample's files are recognised by
 * their content (SHA-256, below), and step aside for the user's; two handlers of the user's own stop the
 * build.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * SHA-256 of each sample file (`function/`) that the build may leave out or must recognise, line
 * endings normalised to LF. test/template/discover.test.ts keeps these in step with the files.
 */
export const SAMPLE_SHA256: Readonly<Record<string, string>> = {
  "handler.ts": "8691a4381eb600e704662282403f5236b5bc824835b6cdc08723b2eff57ae08d",
  "handler.test.ts": "446c13823fd62cfac8b595225daf35e9b263b51a9b1161386f58acef8d50adb3",
  "package.json": "2170a4ff8c7ed311f28048dab5b11ad4fbd6ddae5fee219daa69f11c2b6b3d13",
};

/** SHA-256 of a text file with its line endings normalised to LF. */
export function textSha256(path: string): string {
  return createHash("sha256").update(readFileSync(path, "utf8").replace(/\r\n/g, "\n")).digest("hex");
}

/** Whether `name` in `dir` is the template's untouched sample file of that name. */
export function isSampleFile(dir: string, name: string): boolean {
  const expected = SAMPLE_SHA256[name];
  return expected !== undefined && textSha256(join(dir, name)) === expected;
}

/** File names the server accepts as the handler, TypeScript first. */
export const HANDLER_NAMES = ["handler.ts", "handler.mts", "handler.cts", "handler.js", "handler.cjs", "handler.mjs"] as const;

/** One of {@link HANDLER_NAMES}. */
export type HandlerName = (typeof HANDLER_NAMES)[number];

/** A file at the top of the function folder. */
export interface FolderFile {
  readonly name: string;
  /** Whether it is byte for byte the template's sample file of that name. */
  readonly sample: boolean;
}

/** What the build does with the folder. */
export interface Discovery {
  /** The handler's source file. */
  readonly handler: HandlerName;
  /** Whether it is TypeScript (compiled to `dist/`) rather than JavaScript (loaded where it is). */
  readonly typescript: boolean;
  /**
   * The template's sample files to leave out of the build: the sample handler when another handler is
   * the user's; the sample test next to a JavaScript handler when the test script does not name it (a
   * node22 folder's: it would only make the build compile TypeScript to skip a test).
   */
  readonly dropSamples: readonly string[];
}

/** Why a folder cannot be built; the message names the files. */
export class DiscoveryError extends Error {
  override readonly name = "DiscoveryError";
}

function isHandlerName(name: string): name is HandlerName {
  return (HANDLER_NAMES as readonly string[]).includes(name);
}

/**
 * Chooses the handler of a folder from its top-level files.
 * @param testScript - `scripts.test` of the package.json in use (the folder's, else the sample's).
 */
export function discoverHandler(files: readonly FolderFile[], testScript: string | undefined): Discovery {
  const rank = (file: FolderFile): number => (HANDLER_NAMES as readonly string[]).indexOf(file.name);
  const candidates = files.filter((file) => isHandlerName(file.name)).sort((a, b) => rank(a) - rank(b));
  const own = candidates.filter((file) => !file.sample);
  if (own.length > 1) {
    const names = own.map((file) => file.name).join(", ");
    throw new DiscoveryError(
      `the function folder has ${own.length} handlers (${names}) and only one can be loaded: keep one of them ` +
        "(a handler.js compiled from handler.ts is not needed: the build compiles handler.ts)",
    );
  }
  const chosen = own[0] ?? candidates[0];
  if (chosen === undefined) {
    const found = files.map((file) => file.name).join(", ") || "nothing";
    throw new DiscoveryError(`the function folder has no handler: expected one of ${HANDLER_NAMES.join(", ")}; found ${found}`);
  }
  const dropSamples: string[] = [];
  for (const file of candidates) if (file !== chosen && file.sample) dropSamples.push(file.name);
  const typescript = /\.[mc]?ts$/.test(chosen.name);
  const sampleTest = files.some((file) => file.name === "handler.test.ts" && file.sample);
  if (!typescript && sampleTest && !(testScript ?? "").includes("handler.test")) dropSamples.push("handler.test.ts");
  return { handler: chosen.name as HandlerName, typescript, dropSamples };
}

/**
 * The module the server loads for a handler source: a JavaScript handler itself, a TypeScript one where
 * tsc writes it with the sample tsconfig's layout (outDir `dist`, rootDir `.`). Paths are relative to the
 * function folder.
 */
export function compiledEntry(handler: HandlerName): string {
  if (!/\.[mc]?ts$/.test(handler)) return handler;
  return `dist/${handler.replace(/\.ts$/, ".js").replace(/\.mts$/, ".mjs").replace(/\.cts$/, ".cjs")}`;
}

/** CommonJS exports with no `import`/`export` statement: a module Node cannot run as an ES module. */
function looksCommonJs(source: string): boolean {
  return /\b(module\.exports|exports\.[A-Za-z_$][\w$]*)\s*=/.test(source) && !/^[ \t]*(import|export)[\s{*]/m.test(source);
}

/**
 * Stops a JavaScript handler that Node would load in the wrong module format: CommonJS code
 * (`module.exports = ...`) that the package.json in use makes an ES module. That happens when a node22
 * folder without a package.json of its own gets the template's sample one ("type": "module").
 * @param packageType - the `type` of the function's package.json, if any.
 */
export function checkModuleFormat(handler: HandlerName, packageType: string | undefined, source: string, samplePackage: boolean): void {
  const esm = handler === "handler.mjs" || (handler === "handler.js" && packageType === "module");
  if (!esm || !looksCommonJs(source)) return;
  const whose = samplePackage ? "the template's sample package.json (the folder has none of its own) says" : "package.json says";
  throw new DiscoveryError(
    `${handler} is CommonJS (module.exports) but ${whose} "type": "module", so Node would load it as an ES module and fail: ` +
      (handler === "handler.mjs" ? "rename it handler.cjs" : 'add a package.json without "type" (node22\'s), or rename it handler.cjs'),
  );
}
