/** Loading the function's module and choosing how to serve it. */
import { pathToFileURL } from "node:url";
import type { Handler } from "@node-ts-iam/sdk";
import type { BodyConfig } from "./parse-body.js";
import { handlerDispatch, type Dispatch } from "./dispatch.js";

/**
 * Imports the handler module and returns its dispatcher: `router` export (or a default-exported
 * Express router) → Express; else `default`, else named `handle` (also `module.exports = fn` and
 * `module.exports = { handle }` from CommonJS).
 */
export async function loadHandler(handlerPath: string, config: BodyConfig): Promise<Dispatch> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(handlerPath).href)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot load the handler module ${handlerPath}: ${reason}`, { cause: error });
  }
  const fallback = mod["default"];
  const nested = typeof fallback === "object" && fallback !== null ? (fallback as Record<string, unknown>) : undefined;
  const router = mod["router"] ?? nested?.["router"];
  if (router !== undefined || isRouter(fallback)) {
    const chosen = router ?? fallback;
    if (!isRouter(chosen)) throw new Error(`${handlerPath}: the "router" export is not an Express Router or app`);
    const { routerDispatch } = await import("./router.js");
    return routerDispatch(chosen, handlerPath, config);
  }
  const handler = [fallback, mod["handle"], nested?.["handle"]].find((candidate) => typeof candidate === "function");
  if (handler === undefined) {
    throw new Error(
      `${handlerPath} exports no handler: use \`export default async (event, context) => ...\`, a named \`handle\`, or \`router\``,
    );
  }
  return handlerDispatch(handler as Handler, config);
}

/** Whether `value` looks like an Express Router or app (a function with `use` and `handle`). */
function isRouter(value: unknown): boolean {
  if (typeof value !== "function") return false;
  const candidate = value as unknown as { use?: unknown; handle?: unknown };
  return typeof candidate.use === "function" && typeof candidate.handle === "function";
}
