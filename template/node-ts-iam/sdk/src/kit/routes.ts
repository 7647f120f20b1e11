/**
 * A small explicit router for the HTTP API kit: exact segment matches, `:param` captures one
 * (percent-decoded) segment; the first matching pattern wins.
 */
import { ApiError } from "./api-error.js";
import type { Api, ApiRequest, ApiResponse } from "./message.js";

/** Path parameters captured by `:name` segments, already percent-decoded. */
export type Params = Readonly<Record<string, string>>;

/** A route's handler for one method. */
export type RouteHandler = (request: ApiRequest, params: Params) => Promise<ApiResponse>;

/** One path pattern (e.g. `/namespaces/:namespace/functions`) with a handler per method. */
export interface Route {
  /** Segments separated by `/`; a `:name` segment matches any one segment. */
  readonly pattern: string;
  /** Handlers by upper-case method name (`GET`, `POST`, ...). */
  readonly methods: Readonly<Partial<Record<string, RouteHandler>>>;
}

interface CompiledRoute {
  readonly segments: readonly string[];
  readonly methods: Route["methods"];
}

/**
 * Creates a router. It throws an {@link ApiError}: 404 `ROUTE_NOT_FOUND` for an unknown path, 405
 * `METHOD_NOT_ALLOWED` with an `Allow` header (and `allow` body field) for a known path with another
 * method, 400 `INVALID_NAME` for a path that cannot be percent-decoded. Empty segments are ignored,
 * so `/a/` and `/a` are the same path.
 */
export function createRouter(routes: readonly Route[]): Api {
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
