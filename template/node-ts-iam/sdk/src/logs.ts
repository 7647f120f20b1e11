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
      new LogLines(
        () => p.stream({ method: "GET", path: "/system/logs", query, auth: "client", noDeadlineAfterHead: follow, headers: { accept: "application/x-ndjson" } }, options),
        p.maxLogLineBytes,
      ),
  };
}

const NEWLINE = 0x0a;

/** What {@link LogLines.next} resolves at the end. */
const END: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * The messages of one log stream, as an async iterator. The request is sent only by the first
 * `next()`: an iterator that is obtained and then closed (or dropped) unread leaves no request in
 * flight, nor a rejection nobody handles; `return()` (a loop that ends early) closes the connection.
 *
 * Each chunk's lines are parsed when it arrives and then handed out one per `next()`, each an
 * already resolved promise: a line costs its parse, not a trip through a generator. Lines are found
 * on bytes (a UTF-8 sequence never holds a newline byte), so a chunk's whole lines are decoded at
 * once, exactly; only a line that spans chunks is copied, and none may grow past `maxLineBytes`:
 * the memory one stream takes is bounded by it and one chunk, whatever the peer sends. A line that
 * fails is reported after the lines before it, as it would be read one by one.
 */
class LogLines implements AsyncIterableIterator<LogMessage> {
  readonly #open: () => Promise<StreamResponse>;
  readonly #maxLineBytes: number;
  #res: StreamResponse | undefined;
  #chunks: AsyncIterator<Buffer> | undefined;
  /** Messages parsed and not yet handed out: `#ready[#taken…]`. */
  #ready: LogMessage[] = [];
  #taken = 0;
  /** Why the stream failed, once the messages before the failure are handed out. */
  #failure: unknown;
  /** The current line's pieces from earlier chunks (a line may span chunks). */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #closed = false;
  /** The read in progress: concurrent `next()` calls wait for it, in order. */
  #reading: Promise<IteratorResult<LogMessage>> | undefined;

  constructor(open: () => Promise<StreamResponse>, maxLineBytes: number) {
    this.#open = open;
    this.#maxLineBytes = maxLineBytes;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<LogMessage>> {
    if (this.#reading) return this.#reading.then(() => this.next());
    return this.#deliver() ?? this.#startRead();
  }

  return(): Promise<IteratorResult<LogMessage>> {
    this.#close();
    return Promise.resolve(END);
  }

  /** The next message, the failure or the end when one is at hand; `undefined` when a chunk must be read first. */
  #deliver(): Promise<IteratorResult<LogMessage>> | undefined {
    if (this.#taken < this.#ready.length) return Promise.resolve({ value: this.#ready[this.#taken++]!, done: false });
    if (this.#failure !== undefined) {
      const failure = this.#failure;
      this.#failure = undefined;
      this.#close();
      return Promise.reject(failure);
    }
    if (this.#closed) return Promise.resolve(END);
    return undefined;
  }

  #startRead(): Promise<IteratorResult<LogMessage>> {
    const reading = this.#read();
    this.#reading = reading;
    return reading;
  }

  /** Reads chunks until one yields a message (or the stream ends or fails). */
  async #read(): Promise<IteratorResult<LogMessage>> {
    try {
      this.#res ??= await this.#open();
      this.#chunks ??= (this.#res.body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
      this.#ready = [];
      this.#taken = 0;
      while (this.#ready.length === 0 && this.#failure === undefined) {
        const { value: chunk, done } = await this.#chunks.next();
        if (done) {
          if (this.#pendingBytes > 0) this.#parse(this.#takeLine());
          this.#close();
          break;
        }
        this.#split(chunk);
      }
    } catch (error) {
      this.#failure = error instanceof OpenFaaSError || !this.#res ? error : this.#res.classify(error);
    }
    this.#reading = undefined;
    // Something is at hand now: a message, the failure, or the end.
    return this.#deliver() as Promise<IteratorResult<LogMessage>>;
  }

  /** Parses the lines a chunk completes; what follows its last newline begins the next line. */
  #split(chunk: Buffer): void {
    try {
      const max = this.#maxLineBytes;
      const first = chunk.indexOf(NEWLINE);
      if (first >= 0) {
        // The line that ends here, begun in earlier chunks or not.
        if (this.#pendingBytes + first > max) throw this.#tooLarge();
        this.#parse(this.#pendingBytes === 0 ? chunk.toString("utf8", 0, first) : this.#takeLine(chunk.subarray(0, first)));
        // The whole lines after it, decoded together.
        const last = chunk.lastIndexOf(NEWLINE);
        if (last > first) {
          const lines = chunk.toString("utf8", first + 1, last);
          // Only a span longer than a line may be can hold a line over the limit: then each is measured.
          const measure = last - first - 1 > max;
          if (!measure && this.#parseAll(lines)) return this.#keepRest(chunk, last + 1);
          for (let at = 0; ; ) {
            const end = lines.indexOf("\n", at);
            const line = end < 0 ? lines.slice(at) : lines.slice(at, end);
            if (measure && Buffer.byteLength(line) > max) throw this.#tooLarge();
            this.#parse(line);
            if (end < 0) break;
            at = end + 1;
          }
        }
      }
      this.#keepRest(chunk, first < 0 ? 0 : chunk.lastIndexOf(NEWLINE) + 1);
    } catch (error) {
      this.#failure = error;
    }
  }

  /** What follows the chunk's last newline (from `restAt`) begins the next line. */
  #keepRest(chunk: Buffer, restAt: number): void {
    if (this.#pendingBytes + chunk.length - restAt > this.#maxLineBytes) throw this.#tooLarge();
    if (restAt < chunk.length) {
      this.#pending.push(chunk.subarray(restAt));
      this.#pendingBytes += chunk.length - restAt;
    }
  }

  /**
   * The fast path for whole lines that are all plain messages: one `JSON.parse` of them as one
   * array (`[line\n,line\n,…]`), instead of one per line. Taken only when it provably gives what
   * one parse per line would: every line starts with `{`, there are as many elements as lines, and
   * every element is an object of string values only. (A raw newline cannot sit inside a JSON
   * string, so each line's `{` is outside strings; in an array of objects without nested values it
   * can only start an element; n line starts and n elements leave each line exactly one element.)
   * Anything else (a blank line, a malformed line, a number in a field) returns false with nothing
   * taken, and the lines are parsed one by one, which reports the first bad one after the good ones.
   */
  #parseAll(lines: string): boolean {
    if (lines.charCodeAt(0) !== 0x7b) return false;
    let count = 1;
    for (let at = lines.indexOf("\n"); at >= 0; at = lines.indexOf("\n", at + 1)) {
      if (lines.charCodeAt(at + 1) !== 0x7b) return false;
      count++;
    }
    let values: unknown;
    try {
      values = JSON.parse(`[${lines.replaceAll("\n", "\n,")}]`);
    } catch {
      return false;
    }
    if (!Array.isArray(values) || values.length !== count) return false;
    for (const value of values) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
      for (const key in value) if (typeof (value as Record<string, unknown>)[key] !== "string") return false;
    }
    for (const value of values) this.#ready.push(toMessage(value as Record<string, unknown>, this.#res as StreamResponse));
    return true;
  }

  /** The pending line, completed by `end`, decoded; the pending pieces are dropped. */
  #takeLine(end?: Buffer): string {
    if (end) this.#pending.push(end);
    const text = Buffer.concat(this.#pending).toString("utf8");
    this.#pending = [];
    this.#pendingBytes = 0;
    return text;
  }

  #parse(text: string): void {
    const message = parseLine(text, this.#res as StreamResponse);
    if (message) this.#ready.push(message);
  }

  #tooLarge(): InvalidResponseError {
    const res = this.#res as StreamResponse;
    return responseTooLarge(res.site, res.status, "log line", this.#maxLineBytes);
  }

  /** Closes the stream once: an unfinished body is destroyed, which closes its connection (and ends a follow stream server-side). */
  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = [];
    this.#res?.body.destroy();
    this.#res?.release();
  }
}

/** Only spaces, tabs and carriage returns: a line that carries nothing. */
const BLANK = /^[ \t\r]*$/;

/** The log message of a line; `undefined` for a blank line. */
function parseLine(text: string, res: StreamResponse): LogMessage | undefined {
  // A message starts with "{"; only anything else is worth the blank-line test.
  if (text.charCodeAt(0) !== 0x7b && BLANK.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidResponseError(res.site, res.status, "log line is not JSON");
  }
  if (!isJsonObject(value)) throw new InvalidResponseError(res.site, res.status, "log line is not an object");
  return toMessage(value, res);
}

/** The message of a parsed line: its five fields, each a string. */
function toMessage(value: Record<string, unknown>, res: StreamResponse): LogMessage {
  const { name, namespace, instance, timestamp, text: message } = value;
  if (typeof name !== "string") throw notString(res, "name");
  if (typeof namespace !== "string") throw notString(res, "namespace");
  if (typeof instance !== "string") throw notString(res, "instance");
  if (typeof timestamp !== "string") throw notString(res, "timestamp");
  if (typeof message !== "string") throw notString(res, "text");
  return { name, namespace, instance, timestamp, text: message };
}

function notString(res: StreamResponse, field: string): InvalidResponseError {
  return new InvalidResponseError(res.site, res.status, `log line field ${field} is not a string`);
}
