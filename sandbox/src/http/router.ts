import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError, httpError } from "./errors.js";

/** Captured `:name` path parameters of a matched route. */
export type RouteParams = Record<string, string>;

/** A route handler; throwing an `HttpError` answers with its JSON body. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, params: RouteParams, url: URL) => Promise<void> | void;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  /** The trailing `*rest` capture stays percent-encoded: it is forwarded as a path, not interpreted. */
  rawLast: boolean;
  handler: RouteHandler;
}

/**
 * A minimal method + path router. Patterns use `:name` for one segment and a trailing `*rest` for
 * the remainder; a path that matches with another method answers 405 rather than 404.
 */
export class Router {
  private readonly routes: Route[] = [];

  /** Registers `handler` for `method` (or `*` for any) and `path`. */
  on(method: string, path: string, handler: RouteHandler): this {
    const names: string[] = [];
    let rawLast = false;
    const source = path
      .split("/")
      .map((segment) => {
        if (segment.startsWith(":")) {
          names.push(segment.slice(1));
          return "([^/]+)";
        }
        if (segment.startsWith("*")) {
          names.push(segment.slice(1));
          rawLast = true;
          return "?(.*)";
        }
        return segment.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
      })
      .join("/");
    this.routes.push({ method, pattern: new RegExp(`^${source}$`), names, rawLast, handler });
    return this;
  }

  /** Finds the handler for a request, or throws 404/405 (with `Allow`, RFC 9110 §15.5.6) as JSON errors. */
  resolve(method: string, pathname: string): { handler: RouteHandler; params: RouteParams } {
    const allowed: string[] = [];
    for (const route of this.routes) {
      const m = route.pattern.exec(pathname);
      if (!m) continue;
      if (route.method !== "*" && route.method !== method) {
        if (!allowed.includes(route.method)) allowed.push(route.method);
        continue;
      }
      const params: RouteParams = {};
      route.names.forEach((name, i) => {
        const value = m[i + 1] ?? "";
        params[name] = route.rawLast && i === route.names.length - 1 ? value : safeDecode(value);
      });
      return { handler: route.handler, params };
    }
    if (allowed.length > 0) {
      const allow = allowed.join(", ");
      throw new HttpError(405, `method ${method} is not allowed on ${pathname} (allowed: ${allow})`, undefined, { allow });
    }
    throw httpError(404, `no route for ${method} ${pathname}`);
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw httpError(400, "path contains invalid percent-encoding");
  }
}
