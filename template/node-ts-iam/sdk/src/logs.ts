/** `GET /system/logs`: NDJSON as an async iterable; ending the loop or aborting closes the connection. */
import { InvalidArgumentError, InvalidResponseError, OpenFaaSError, responseTooLarge } from "./errors.js";
import { optionalLabel, requireLabel } from "./names.js";
import type { CallOptions, Pipeline, StreamResponse } from "./request.js";
import type { LogMessage, LogsRequest } from "./types.js";
import { isJsonObject } from "./validate.js";

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
      stream(
        () => p.stream({ method: "GET", path: "/system/logs", query, auth: "client", noDeadlineAfterHead: follow, headers: { accept: "application/x-ndjson" } }, options),
        p.maxLogLineBytes,
      ),
  };
}

const NEWLINE = 0x0a;

/**
 * Sends the request only when the generator first runs: an iterator that is obtained and then
 * closed (or dropped) unread must not leave a request in flight, nor a rejection nobody handles.
 * Lines are split on bytes (a UTF-8 sequence never holds a newline byte), and no line may grow
 * past `maxLineBytes`: the memory one stream can take is bounded by it, whatever the peer sends.
 */
async function* stream(open: () => Promise<StreamResponse>, maxLineBytes: number): AsyncGenerator<LogMessage, void, undefined> {
  const res = await open();
  /** The current line's pieces so far (a line may span chunks). */
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const take = (piece: Buffer): Buffer => {
    const line = pending.length === 0 ? piece : Buffer.concat([...pending, piece]);
    pending = [];
    pendingBytes = 0;
    return line;
  };
  try {
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        let start = 0;
        for (let newline = chunk.indexOf(NEWLINE); newline >= 0; newline = chunk.indexOf(NEWLINE, start)) {
          if (pendingBytes + newline - start > maxLineBytes) throw responseTooLarge(res.site, res.status, "log line", maxLineBytes);
          const line = take(chunk.subarray(start, newline));
          start = newline + 1;
          if (!isBlank(line)) yield parseLine(line, res);
        }
        const rest = chunk.length - start;
        if (pendingBytes + rest > maxLineBytes) throw responseTooLarge(res.site, res.status, "log line", maxLineBytes);
        if (rest > 0) {
          pending.push(chunk.subarray(start));
          pendingBytes += rest;
        }
      }
      const last = take(Buffer.alloc(0));
      if (!isBlank(last)) yield parseLine(last, res);
    } catch (error) {
      throw error instanceof OpenFaaSError ? error : res.classify(error);
    }
  } finally {
    // Destroying an unfinished body closes the connection, which ends a follow stream server-side.
    res.body.destroy();
    res.release();
  }
}

function isBlank(line: Buffer): boolean {
  for (const byte of line) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
  return true;
}

function parseLine(line: Buffer, res: StreamResponse): LogMessage {
  let value: unknown;
  try {
    value = JSON.parse(line.toString("utf8"));
  } catch {
    throw new InvalidResponseError(res.site, res.status, "log line is not JSON");
  }
  if (!isJsonObject(value)) throw new InvalidResponseError(res.site, res.status, "log line is not an object");
  const obj = value;
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
