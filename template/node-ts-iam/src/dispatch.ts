/** Request → body → event → handler, for plain (non-router) handlers. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Handler } from "@node-ts-iam/sdk";
import { ResponseContext } from "./context.js";
import { createEvent } from "./event.js";
import { invokeHandler } from "./invoke.js";
import { parseBody, type BodyConfig } from "./parse-body.js";
import { sendRequestError } from "./respond.js";

/** Serves one request. */
export type Dispatch = (req: IncomingMessage, res: ServerResponse) => void;

/** A dispatcher that runs `handler` for every request. */
export function handlerDispatch(handler: Handler, config: BodyConfig): Dispatch {
  const run = (req: IncomingMessage, res: ServerResponse, body: unknown): void => {
    invokeHandler(handler, createEvent(req, req.headers, body), new ResponseContext(res));
  };
  return (req, res) => {
    // As node22: a request without a Content-Type is text/plain, also in event.headers.
    if (!req.headers["content-type"]) req.headers["content-type"] = "text/plain";
    const pending = parseBody(req, req.headers, config);
    if (pending === undefined) run(req, res, undefined);
    else pending.then((body) => run(req, res, body), (error: unknown) => sendRequestError(res, error));
  };
}
