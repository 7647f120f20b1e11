/** `GET /system/logs`: NDJSON as an async iterable; ending the loop or aborting closes the connection. */
import { InvalidArgumentError, InvalidResponseError, OpenFaaSError } from "./errors.js";
import { optionalLabel, requireLabel } from "./names.js";
import type { CallOptions, Pipeline, StreamResponse } from "./request.js";
import type { LogMessage, LogsRequest } from "./types.js";

/** @internal Validates arguments now; the request starts on the first `next()`. */
export function getLogs(p: Pipeline, request: LogsRequest, options?: CallOptions): AsyncIterable<LogMessage> {
  const name = requireLabel(request?.name, "function name");
  const namespace = optionalLabel(request.namespace, "namespace");
  const instance = request.instance === undefined || request.instance === "" ? undefined : String(request.instance);
  if (request.tail !== undefined && !Number.isSafeInteger(request.tail)) throw new InvalidArgumentError("tail must be an integer");
  let since: string | undefined;
  if (request.since !== undefined) {
    const date = request.since instanceof Date ? request.since : new Date(request.since);
    if (Number.isNaN(date.getTime())) throw new InvalidArgumentError("since must be a date (RFC 3339)");
    since = date.toISOString();
  }
  const follow = request.follow === true;
  const query = { name, namespace, instance, tail: request.tail, follow: follow ? "true" : undefined, since };
  return {
    [Symbol.asyncIterator]: () =>
      stream(() =>
        p.stream({ method: "GET", path: "/system/logs", query, auth: "client", noDeadlineAfterHead: follow, headers: { accept: "application/x-ndjson" } }, options),
      ),
  };
}

/**
 * Sends the request only when the generator first runs: an iterator that is obtained and then
 * closed (or dropped) unread must not leave a request in flight, nor a rejection nobody handles.
 */
async function* stream(open: () => Promise<StreamResponse>): AsyncGenerator<LogMessage, void, undefined> {
  const res = await open();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          if (line.trim() !== "") yield parseLine(line, res);
        }
      }
      buffer += decoder.decode();
      if (buffer.trim() !== "") yield parseLine(buffer, res);
    } catch (error) {
      throw error instanceof OpenFaaSError ? error : res.classify(error);
    }
  } finally {
    // Destroying an unfinished body closes the connection, which ends a follow stream server-side.
    res.body.destroy();
    res.release();
  }
}

function parseLine(line: string, res: StreamResponse): LogMessage {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new InvalidResponseError(res.site, res.status, "log line is not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InvalidResponseError(res.site, res.status, "log line is not an object");
  const obj = value as Record<string, unknown>;
  for (const key of ["name", "namespace", "instance", "timestamp", "text"] as const) {
    if (typeof obj[key] !== "string") throw new InvalidResponseError(res.site, res.status, `log line field ${key} is not a string`);
  }
  return {
    name: obj.name as string,
    namespace: obj.namespace as string,
    instance: obj.instance as string,
    timestamp: obj.timestamp as string,
    text: obj.text as string,
  };
}
