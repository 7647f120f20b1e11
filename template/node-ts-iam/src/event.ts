/** The `event` a handler receives, shaped as node22's (own, enumerable properties). */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { parse as parseQuery } from "node:querystring";
import type { FunctionEvent, FunctionQuery } from "@node-ts-iam/sdk";

function splitTarget(target: string): { path: string; search: string | undefined } {
  // Absolute-form targets (`http://host/p?q`) are rare behind the watchdog; parse those properly.
  if (target.charCodeAt(0) !== 0x2f /* "/" */ && target !== "*") {
    try {
      const url = new URL(target);
      return { path: url.pathname, search: url.search ? url.search.slice(1) : undefined };
    } catch {
      // Not a URL: fall through and treat it as a path.
    }
  }
  const q = target.indexOf("?");
  return q === -1 ? { path: target, search: undefined } : { path: target.slice(0, q), search: target.slice(q + 1) };
}

/** Builds the event; the query uses node's `querystring`, as Express 5's default "simple" parser. */
export function createEvent(req: IncomingMessage, headers: IncomingHttpHeaders, body: unknown): FunctionEvent {
  const { path, search } = splitTarget(req.url ?? "/");
  const query: FunctionQuery = search === undefined ? {} : parseQuery(search);
  return { body, headers, method: req.method ?? "GET", query, path };
}
