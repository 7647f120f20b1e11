/**
 * The handler path, read top to bottom: a request's body is parsed by node22's rules, the `event` is
 * built, the handler is called with it and a `context`, and its outcome becomes one answer. This is
 * what node22's `index.js` does with Express; every module it uses does one step of it.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { parse as parseQuery } from "node:querystring";
import type { FunctionEvent, FunctionQuery, Handler } from "@node-ts-iam/sdk";
import { ResponseContext } from "./context.js";
import { parseBody, type BodySettings } from "./parse-body.js";
import { sendRequestError } from "./respond.js";
import type { ServerSettings } from "./settings.js";

/** Serves one request. */
export type Dispatch = (req: IncomingMessage, res: ServerResponse) => void;

/** Settings the handler path depends on: the body rules, and whether answers are tagged. */
export type DispatchSettings = BodySettings & Pick<ServerSettings, "etag">;

/** A dispatcher that runs `handler` for every request. */
export function handlerDispatch(handler: Handler, settings: DispatchSettings): Dispatch {
  const { etag } = settings;
  return (req, res) => {
    // As node22: a request without a Content-Type is text/plain, also in event.headers.
    if (!req.headers["content-type"]) req.headers["content-type"] = "text/plain";
    parseBody(req, req.headers, settings, (error, body) => {
      if (error === undefined) callHandler(handler, createEvent(req, req.headers, body), new ResponseContext(res, etag));
      else sendRequestError(res, error);
    });
  };
}

/** Splits a request target into path and query text. */
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

/**
 * The `event` a handler receives, shaped as node22's (own, enumerable properties); the query uses
 * node's `querystring`, as Express 5's default "simple" parser.
 */
function createEvent(req: IncomingMessage, headers: IncomingHttpHeaders, body: unknown): FunctionEvent {
  const { path, search } = splitTarget(req.url ?? "/");
  const query: FunctionQuery = search === undefined ? {} : parseQuery(search);
  return { body, headers, method: req.method ?? "GET", query, path };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/**
 * Calls the handler. Its value, or the value its promise resolves to, answers unless the handler
 * already answered (as node22). One exception: a handler that is not async, declares the callback
 * parameter and returns `undefined` answers later, through the callback or the context (node22 answered
 * it at once with an empty body, then died when the callback came).
 */
function callHandler(handler: Handler, event: FunctionEvent, context: ResponseContext): void {
  let result: unknown;
  try {
    result = handler(event, context, (error: unknown, value?: unknown) => {
      if (error) context.error(error);
      else context.succeed(value);
    });
  } catch (error) {
    context.error(error);
    return;
  }
  if (isThenable(result)) {
    result.then(
      (value) => {
        if (!context.answered) context.succeed(value);
      },
      (error: unknown) => context.error(error),
    );
  } else if ((result !== undefined || handler.length < 3) && !context.answered) {
    context.succeed(result);
  }
}
