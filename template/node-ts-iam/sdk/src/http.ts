/**
 * The wire: undici's Agent, loaded on the first request (and only the dispatcher: undici's index
 * also loads fetch, WebSocket, the cache and the mocks, which a cold start would pay for and the
 * SDK never uses); the process-wide transport every SDK request goes through; and one undici
 * dispatch handler per attempt that reads the answer itself: bounded, with the body idle timeout
 * armed only for a body that did not arrive with its head, and without a stream, an AbortSignal or
 * a parsed URL on the way. Nothing else in the SDK talks to undici.
 */
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { MAX_TIMER_MS } from "./abort.js";

let sharedAgent: Dispatcher | undefined;
let loadingAgent: Promise<Dispatcher> | undefined;
let transport: Dispatcher | undefined;

/**
 * Sets the transport of every request this SDK sends in the process: gateway API calls, function
 * invocations, token exchanges and client-credentials requests alike. Pass any undici
 * `Dispatcher`: a `ProxyAgent` or `EnvHttpProxyAgent`, an `Agent` with your CA or client
 * certificate (`connect: { ca, cert, key }`), a `MockAgent` in tests. Without an argument the SDK's
 * own keep-alive Agent is used again. Requests already sent keep the transport they started with.
 * Setting it loads nothing and does no I/O.
 * @param dispatcher - the undici dispatcher to send through; `undefined` restores the default.
 */
export function setTransport(dispatcher?: Dispatcher): void {
  transport = dispatcher;
}

/**
 * undici's Agent alone: the module its index exports `Agent` from (so the class is the same
 * whichever way a program loads it), without fetch, WebSocket, the cache or the mocks.
 */
const AGENT_MODULE: string = "undici/lib/dispatcher/agent.js";

/** The shared keep-alive Agent, created (and undici loaded) by the first request that needs it. */
function loadAgent(): Promise<Dispatcher> {
  loadingAgent ??= (import(AGENT_MODULE) as Promise<{ default: typeof import("undici").Agent }>).then(
    ({ default: Agent }) => {
      sharedAgent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000, connections: 128 });
      return sharedAgent;
    },
    (error: unknown) => {
      loadingAgent = undefined; // the next request tries again
      throw error;
    },
  );
  return loadingAgent;
}

/** One HTTP exchange as the SDK sends it. */
export interface WireRequest {
  /** `http(s)://host:port`. */
  origin: string;
  /** Path and query, already encoded. */
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | undefined;
}

/** Response headers (lower-case names). */
export type WireHeaders = Record<string, string | string[] | undefined>;

/** An answer whose body was read, whole or up to a limit. */
export interface ReadAnswer {
  status: number;
  headers: WireHeaders;
  /** The bytes read: all of the body, or its first `limitBytes` (nothing, without `prefix`). */
  bytes: Buffer;
  /** False when the body was longer than the limit: the rest was never read, the connection is closed. */
  complete: boolean;
}

/** A 2xx answer whose body is handed over unread (a log stream); destroying it closes the connection. */
export interface StreamAnswer {
  status: number;
  headers: WireHeaders;
  body: Readable;
}

/** How an answer's body is read. */
export interface ReadLimits {
  /** Most bytes read of a 2xx body (and of any other, without `errorBytes`). */
  limitBytes: number;
  /**
   * Most bytes read of a non-2xx body, whose start is of use (an error message): a longer one is
   * cut there. Without it, nothing of a body over its limit is returned, and one whose
   * `content-length` already says so is not read at all.
   */
  errorBytes?: number | undefined;
  /** Longest wait for the next chunk of the body, in milliseconds; none when absent. */
  idleMs?: number | undefined;
  /** Hand a 2xx body over unread instead ({@link StreamAnswer}). */
  stream?: boolean | undefined;
}

/** An exchange in flight, as the call's scope sees it: something to cancel. */
export interface Cancellable {
  cancel(reason: Error): void;
}

/** What keeps track of the exchange in flight (a call's scope). */
export interface ExchangeTracker {
  track(exchange: Cancellable): void;
}

/** A body that sent nothing for longer than its idle timeout. */
class BodyStalled extends Error {
  constructor(readonly idleMs: number) {
    super(`no body data for ${idleMs} ms`);
  }
}

/** The idle timeout that failed a read, when it failed because the body stalled. */
export function stalledAfterMs(error: unknown): number | undefined {
  return error instanceof BodyStalled ? error.idleMs : undefined;
}

/** Why a read stopped taking bytes: the body was over its limit (never seen by a caller). */
const OVER_LIMIT = new Error("body over its limit");

/**
 * One attempt: the undici dispatch handler that collects the answer. Settles once, with the
 * answer, with undici's error (raw: the caller classifies it), or with the reason it was cancelled
 * for; whatever undici reports after that is ignored. Cancelling (the deadline, the caller's abort,
 * the attempt timeout) aborts the request through undici's controller, which closes its connection.
 */
class Exchange implements Dispatcher.DispatchHandler, Cancellable {
  readonly #limits: ReadLimits;
  readonly #resolve: (answer: ReadAnswer | StreamAnswer) => void;
  readonly #reject: (error: unknown) => void;
  #controller: Dispatcher.DispatchController | undefined;
  #settled = false;
  /** Why the exchange was cancelled before undici started it. */
  #cancelled: Error | undefined;
  #status = 0;
  #headers: WireHeaders = {};
  #limit = 0;
  #prefix = false;
  #chunks: Buffer[] = [];
  #size = 0;
  /** A 2xx body being streamed, and whether undici is done with it. */
  #body: Readable | undefined;
  #ended = false;
  #idle: NodeJS.Timeout | undefined;

  constructor(limits: ReadLimits, resolve: (answer: ReadAnswer | StreamAnswer) => void, reject: (error: unknown) => void) {
    this.#limits = limits;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  /** Whether the exchange has its outcome (an answer, an error or its cancellation). */
  get settled(): boolean {
    return this.#settled;
  }

  cancel(reason: Error): void {
    if (this.#body) return void this.#body.destroy(reason);
    if (this.#settled) return;
    this.#settle();
    this.#reject(reason);
    if (this.#controller) this.#controller.abort(reason);
    else this.#cancelled = reason;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Called again when undici retries a request its connection lost before any answer.
    this.#controller = controller;
    if (this.#cancelled) controller.abort(this.#cancelled);
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: WireHeaders): void {
    if (status < 200 || this.#settled) return;
    this.#status = status;
    this.#headers = headers;
    const ok = status < 300;
    const { limitBytes, errorBytes, idleMs } = this.#limits;
    if (ok && this.#limits.stream) return this.#startStream(controller);
    this.#prefix = !ok && errorBytes !== undefined;
    this.#limit = this.#prefix ? (errorBytes as number) : limitBytes;
    if (!this.#prefix && Number(header(headers, "content-length")) > this.#limit) return this.#cut(controller);
    // A body that came with its head is complete before this microtask runs: it never arms a timer.
    if (idleMs !== undefined && idleMs <= MAX_TIMER_MS) queueMicrotask(() => this.#armIdle(controller, idleMs));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const body = this.#body;
    if (body) {
      if (!body.push(chunk)) controller.pause();
      return;
    }
    if (this.#settled) return;
    this.#idle?.refresh();
    if (this.#size + chunk.length > this.#limit) {
      if (this.#prefix) this.#chunks.push(chunk.subarray(0, this.#limit - this.#size));
      return this.#cut(controller);
    }
    this.#chunks.push(chunk);
    this.#size += chunk.length;
  }

  onResponseEnd(): void {
    if (this.#body) {
      this.#ended = true;
      return void this.#body.push(null);
    }
    if (this.#settled) return;
    this.#settle();
    const chunks = this.#chunks;
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#size);
    this.#resolve({ status: this.#status, headers: this.#headers, bytes, complete: true });
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.#body) {
      this.#ended = true;
      return void this.#body.destroy(error);
    }
    if (this.#settled) return;
    this.#settle();
    this.#reject(error);
  }

  /** The body is over its limit: answer with what the limit lets through and drop the connection there. */
  #cut(controller: Dispatcher.DispatchController): void {
    this.#settle();
    const bytes = this.#prefix ? Buffer.concat(this.#chunks) : Buffer.alloc(0);
    this.#resolve({ status: this.#status, headers: this.#headers, bytes, complete: false });
    controller.abort(OVER_LIMIT);
  }

  #armIdle(controller: Dispatcher.DispatchController, idleMs: number): void {
    if (this.#settled) return;
    // Refreshed on each chunk: only a pause counts, however long the whole body takes.
    this.#idle = setTimeout(() => {
      if (this.#settled) return;
      const stalled = new BodyStalled(idleMs);
      this.#settle();
      this.#reject(stalled);
      controller.abort(stalled);
    }, idleMs);
  }

  #startStream(controller: Dispatcher.DispatchController): void {
    const { Readable } = process.getBuiltinModule("node:stream");
    this.#body = new Readable({
      read: () => controller.resume(),
      destroy: (error, done) => {
        // A body left unfinished (a loop that ends early, an abort) closes its connection.
        if (!this.#ended) controller.abort(error ?? new Error("body closed"));
        done(error);
      },
    });
    this.#settle();
    this.#resolve({ status: this.#status, headers: this.#headers, body: this.#body });
  }

  #settle(): void {
    this.#settled = true;
    if (this.#idle) clearTimeout(this.#idle);
  }
}

/**
 * Sends one request and reads its answer within `limits` (a 2xx body with `stream` is handed over
 * unread). undici's errors reject raw (the caller classifies them); `tracker` is given the exchange
 * before it starts, so that a deadline or the caller's abort can cancel it.
 */
export function exchange(req: WireRequest, limits: ReadLimits, tracker: ExchangeTracker): Promise<ReadAnswer | StreamAnswer> {
  const dispatcher = transport ?? sharedAgent;
  if (dispatcher === undefined) return loadAgent().then(() => exchange(req, limits, tracker));
  return new Promise((resolve, reject) => {
    const handler = new Exchange(limits, resolve, reject);
    tracker.track(handler);
    // Cancelled already (the deadline passed, the caller aborted): nothing is sent.
    if (handler.settled) return;
    try {
      dispatcher.dispatch(
        {
          origin: req.origin,
          path: req.path,
          method: req.method as Dispatcher.HttpMethod,
          headers: req.headers,
          body: req.body ?? null,
          // Deadlines are the SDK's own (the call scope, the idle timer above): undici's are accurate
          // to a second only, and its long defaults would only get in their way.
          headersTimeout: 0,
          bodyTimeout: 0,
        },
        handler,
      );
    } catch (error) {
      handler.onResponseError(undefined, error as Error);
    }
  });
}

/** First value of a response header. */
export function header(headers: WireHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Codes that mean the connection was never established, so the request never left this process. */
const NEVER_SENT = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** Whether a transport error provably happened before any byte of the request was written. */
export function neverReachedServer(error: unknown): boolean {
  const codes: string[] = [];
  const collect = (e: unknown, depth: number): void => {
    if (typeof e !== "object" || e === null || depth > 3) return;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) for (const inner of errors) collect(inner, depth + 1);
    collect((e as { cause?: unknown }).cause, depth + 1);
  };
  collect(error, 0);
  // Every code found must be a connect-phase code; a socket error anywhere means it may have been sent.
  return codes.length > 0 && codes.every((c) => NEVER_SENT.has(c));
}
