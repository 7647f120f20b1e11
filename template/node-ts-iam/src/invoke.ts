/** Running a node22-style handler for one request and turning its outcome into one answer. */
import type { FunctionEvent, Handler } from "@node-ts-iam/sdk";
import type { ResponseContext } from "./context.js";

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/**
 * Calls the handler. Its value, or the value its promise resolves to, answers unless the handler
 * already answered (as node22). One exception: a handler that is not async, declares the callback
 * parameter and returns `undefined` answers later, through the callback or the context (node22 answered
 * it at once with an empty body, then died when the callback came).
 */
export function invokeHandler(handler: Handler, event: FunctionEvent, context: ResponseContext): void {
  const answer = (value: unknown): void => {
    if (!context.answered) context.succeed(value);
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
  if (isThenable(result)) result.then(answer, fail);
  else if (result !== undefined || handler.length < 3) answer(result);
}
