/**
 * Compatibility path, kept for functions moving from node22 with an Express router of their own: a
 * handler module that exports `router` (an Express Router or app) is served by Express, which is loaded
 * only then, from the function's own dependencies. Bodies are parsed by the same node22 rules first and
 * handed over as `req.body`. New functions serve several routes with the SDK's kit (`createRouter` from
 * `@node-ts-iam/sdk/kit`), through the plain handler path (call-handler.ts); nothing here is loaded for them.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { Dispatch, DispatchSettings } from "./call-handler.js";
import { parseBody } from "./parse-body.js";
import { thrownErrorBody } from "./error-answer.js";
import { sendError, sendJson, sendRequestError } from "./respond.js";

/** The little of Express this module uses (typed here so a function build needs no @types/express). */
interface ExpressApp {
  (req: IncomingMessage, res: ServerResponse): void;
  use(...handlers: unknown[]): unknown;
  set(setting: string, value: unknown): unknown;
}
type ExpressFactory = () => ExpressApp;

/** Express from the function's dependencies, else from the server's. */
function loadExpress(handlerPath: string): ExpressFactory {
  for (const base of [handlerPath, __filename]) {
    const load = createRequire(base);
    let resolved: string;
    try {
      resolved = load.resolve("express");
    } catch {
      continue; // Try the next location.
    }
    const mod = load(resolved) as ExpressFactory | { default?: ExpressFactory };
    const factory = typeof mod === "function" ? mod : mod.default;
    if (typeof factory !== "function") throw new Error("express did not export a factory function");
    return factory;
  }
  throw new Error(`the handler exports a router but express is not installed: add "express" to the function's package.json`);
}

interface HttpishError {
  status?: unknown;
  statusCode?: unknown;
}

/** Builds the Express app around `router` and returns its dispatcher. */
export function routerDispatch(router: unknown, handlerPath: string, settings: DispatchSettings): Dispatch {
  const express = loadExpress(handlerPath);
  const app = express();
  app.set("x-powered-by", false);
  // Express tags answers by default; here, as on the plain path, only with ETAG=true.
  app.set("etag", settings.etag);
  app.use(router);
  app.use((req: IncomingMessage, res: ServerResponse) => {
    sendError(res, 404, "ROUTE_NOT_FOUND", `no route for ${req.method ?? "GET"} ${req.url ?? "/"}`);
  });
  // Express recognises error middleware by its four parameters.
  app.use((error: HttpishError, _req: IncomingMessage, res: ServerResponse, _next: unknown) => {
    console.error("node-ts-iam: router error:", error);
    if (res.headersSent) return;
    const declared = Number(error?.status ?? error?.statusCode);
    const status = declared >= 400 && declared <= 599 ? declared : res.statusCode >= 400 ? res.statusCode : 500;
    sendJson(res, status, thrownErrorBody(error));
  });
  return (req, res) => {
    parseBody(req, req.headers, settings, (error, body) => {
      if (error !== undefined) return sendRequestError(res, error);
      (req as IncomingMessage & { body?: unknown }).body = body;
      app(req, res);
    });
  };
}
