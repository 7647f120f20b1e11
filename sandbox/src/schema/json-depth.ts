import { shortKey } from "./structural-schema.js";

/**
 * How deeply the gateway's JSON bodies may nest (the root object is level 1). The deepest body the
 * API defines is 2 levels (`FunctionDeployment.limits`); the cap leaves room and stops hostile
 * nesting before anything recursive (validation, `structuredClone`, `JSON.stringify` of the state)
 * can overflow the stack or copy it into `state.json`.
 */
export const MAX_JSON_DEPTH = 8;

/**
 * The path of the first array or object nested deeper than `maxDepth` (`limits.a.a`), or undefined.
 * Iterative, so a 30,000-level document is checked without recursion.
 */
export function firstTooDeep(value: unknown, maxDepth: number = MAX_JSON_DEPTH): string | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: "", depth: 1 }];
  while (stack.length > 0) {
    const { value: current, path, depth } = stack.pop()!;
    if (current === null || typeof current !== "object") continue;
    if (depth > maxDepth) return path || "(root)";
    const entries: [string, unknown][] = Array.isArray(current)
      ? current.map((item, i) => [`${path}[${i}]`, item])
      : Object.entries(current).map(([k, v]) => [path === "" ? shortKey(k) : `${path}.${shortKey(k)}`, v]);
    for (const [childPath, child] of entries) if (child !== null && typeof child === "object") stack.push({ value: child, path: childPath, depth: depth + 1 });
  }
  return undefined;
}
