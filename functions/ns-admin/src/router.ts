import { ApiError } from "./errors.js";
import type { ApiRequest, ApiResponse } from "./http.js";

/** Path parameters captured by `:name` segments. */
export type Params = Readonly<Record<string, string>>;

/** A route's handler for one method. */
export type RouteHandler = (request: ApiRequest, params: Params) => Promise<ApiResponse>;

/** One path pattern (`/namespaces/:namespace/functions`) with a handler per method. */
export interface Route {
  readonly pattern: string;
  readonly methods: Readonly<Partial<Record<string, RouteHandler>>>;
}

interface CompiledRoute {
  readonly segments: readonly string[];
  readonly methods: Route["methods"];
}

/**
 * A small explicit router: exact segment matches, `:param` captures one segment. An unknown path is
 * 404 `ROUTE_NOT_FOUND`; a known path with another method is 405 `METHOD_NOT_ALLOWED` with `Allow`.
 */
export function createRouter(routes: readonly Route[]): (request: ApiRequest) => Promise<ApiResponse> {
  const compiled: CompiledRoute[] = routes.map((r) => ({ segments: split(r.pattern) ?? [], methods: r.methods }));
  return async (request) => {
    const segments = split(request.path);
    if (segments === undefined) throw new ApiError(400, "INVALID_NAME", "the path is not valid");
    for (const route of compiled) {
      const params = match(route.segments, segments);
      if (!params) continue;
      const method = request.method.toUpperCase();
      const handler = route.methods[method];
      if (!handler) {
        const allow = Object.keys(route.methods).sort().join(", ");
        throw new ApiError(405, "METHOD_NOT_ALLOWED", `${method} is not allowed on this path`, { allow }, { allow });
      }
      return handler(request, params);
    }
    throw new ApiError(404, "ROUTE_NOT_FOUND", "no such route");
  };
}

/** Splits a path into decoded segments; `undefined` when a segment cannot be decoded. */
function split(path: string): string[] | undefined {
  const parts = path.split("/").filter((s) => s.length > 0);
  try {
    return parts.map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

function match(pattern: readonly string[], actual: readonly string[]): Params | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const a = actual[i]!;
    if (p.startsWith(":")) params[p.slice(1)] = a;
    else if (p !== a) return undefined;
  }
  return params;
}
