/** Running a node22-style handler for one request and turning its outcome into one answer. */
import type { FunctionEvent, Handler } from "@node-ts-iam/sdk";
import type { ResponseContext } from "./context.js";

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/**
 * Calls the handler. Its return value (or resolved value) answers unless the handler already answered;
 * a handler that declares the callback parameter and returns `undefined` answers through the callback
 * or the context later (node22 answered such handlers at once with an empty body).
 */
export function invokeHandler(handler: Handler, event: FunctionEvent, context: ResponseContext): void {
  const settle = (value: unknown): void => {
    if (context.answered || (value === undefined && handler.length >= 3)) return;
    context.succeed(value);
  };
  const fail = (error: unknown): void => context.error(error);
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
  if (isThenable(result)) result.then(settle, fail);
  else settle(result);
}
