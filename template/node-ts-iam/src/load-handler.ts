/** Loading the function's module and choosing how to serve it. */
import { pathToFileURL } from "node:url";
import type { Handler } from "@node-ts-iam/sdk";
import { handlerDispatch, type Dispatch, type DispatchSettings } from "./call-handler.js";

type Exports = Record<string, unknown>;

/** Errors of `require()` that mean "load this one with `import()`". */
const NEEDS_IMPORT = new Set([
  "ERR_REQUIRE_ESM", // Node without require(esm) (before 20.19 / 22.12)
  "ERR_REQUIRE_ASYNC_MODULE", // an ES module graph with top-level await
]);

/**
 * Loads the module with `require()`: CommonJS handlers (node22's) and, where Node allows it
 * (`require(esm)`, Node ≥ 20.19 and 22.12), ES modules too, so that the ES module loader never starts on
 * the common path. What `require()` cannot load synchronously is imported.
 */
function loadModule(handlerPath: string): unknown {
  try {
    return require(handlerPath);
  } catch (error) {
    if (!NEEDS_IMPORT.has((error as NodeJS.ErrnoException).code ?? "")) throw error;
    return import(pathToFileURL(handlerPath).href);
  }
}

/** A hint for the usual way a module fails because of its format, or "". */
function formatHint(reason: string): string {
  if (/\b(require|module|exports) is not defined in ES module scope/.test(reason)) {
    return ' (the module is CommonJS but is loaded as an ES module: remove "type": "module" from the function\'s package.json, or name it handler.cjs)';
  }
  return "";
}

function asExports(value: unknown): Exports | undefined {
  return (typeof value === "object" || typeof value === "function") && value !== null ? (value as Exports) : undefined;
}

/** Whether `value` looks like an Express Router or app (a function with `use` and `handle`). */
function isRouter(value: unknown): boolean {
  if (typeof value !== "function") return false;
  const candidate = value as unknown as { use?: unknown; handle?: unknown };
  return typeof candidate.use === "function" && typeof candidate.handle === "function";
}

/**
 * Imports the handler module and returns its dispatcher: the handler function (`module.exports = fn` as
 * node22, `export default`, a named `handle`, and their CommonJS forms `exports.default`, as TypeScript
 * compiles `export default`, and `module.exports = { handle }`) on the plain path (call-handler.ts); a
 * `router` export (or an exported Express router) on the Express compatibility path (express-compat.ts).
 */
export async function loadHandler(handlerPath: string, settings: DispatchSettings): Promise<Dispatch> {
  let mod: Exports | undefined;
  try {
    mod = asExports(await loadModule(handlerPath));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot load the handler module ${handlerPath}: ${reason}${formatHint(reason)}`, { cause: error });
  }
  const fallback = mod?.["default"];
  const nested = asExports(fallback);
  const router = mod?.["router"] ?? nested?.["router"] ?? [mod, fallback].find(isRouter);
  if (router !== undefined) {
    if (!isRouter(router)) throw new Error(`${handlerPath}: the "router" export is not an Express Router or app`);
    // The compatibility path, loaded only for router modules: the plain handler path never pays for it.
    const { routerDispatch } = await import("./express-compat.js");
    return routerDispatch(router, handlerPath, settings);
  }
  const handler = [mod, fallback, mod?.["handle"], nested?.["handle"], nested?.["default"]].find((candidate) => typeof candidate === "function");
  if (handler === undefined) {
    throw new Error(
      `${handlerPath} exports no handler: use \`module.exports = async (event, context) => ...\`, \`export default\`, a named \`handle\`, or \`router\``,
    );
  }
  return handlerDispatch(handler as Handler, settings);
}
