/**
 * The wire: undici, loaded on first use so that importing the SDK stays free, and one shared
 * keep-alive Agent for every client that does not bring its own dispatcher.
 */
import type { Dispatcher } from "undici";
import { NetworkError, TimeoutError, type RequestSite } from "./errors.js";
import { safeCause } from "./redact.js";

type Undici = typeof import("undici");

let undici: Promise<Undici> | undefined;
let sharedAgent: Dispatcher | undefined;

/** Loads undici once; the first request pays for it, an idle handler never does. */
export function loadUndici(): Promise<Undici> {
  undici ??= import("undici");
  return undici;
}

/** The process-wide keep-alive Agent (created on first use). */
export async function defaultDispatcher(): Promise<Dispatcher> {
  if (sharedAgent) return sharedAgent;
  const { Agent } = await loadUndici();
  sharedAgent ??= new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000, connections: 128 });
  return sharedAgent;
}

/** One HTTP exchange as the SDK sends it. */
export interface WireRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | undefined;
  signal: AbortSignal;
  dispatcher?: Dispatcher | undefined;
}

/** The response head plus a body still to be read. */
export interface WireResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData["body"];
}

/** Sends one request; undici errors propagate raw (the caller classifies them). */
export async function send(req: WireRequest): Promise<WireResponse> {
  const { request } = await loadUndici();
  const dispatcher = req.dispatcher ?? (await defaultDispatcher());
  const res = await request(req.url, {
    dispatcher,
    method: req.method as Dispatcher.HttpMethod,
    headers: req.headers,
    body: req.body ?? null,
    signal: req.signal,
    // Deadlines are the SDK's own (CallScope); undici's long defaults are only a backstop.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  return { status: res.statusCode, headers: res.headers, body: res.body };
}

/** First value of a response header. */
export function header(headers: WireResponse["headers"], name: string): string | undefined {
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

/**
 * One call's abort wiring: the caller's signal plus the SDK's own deadline, distinguishable after
 * the fact (a deadline becomes {@link TimeoutError}, a caller abort rethrows the caller's reason).
 */
export class CallScope {
  readonly #controller = new AbortController();
  readonly #userSignal: AbortSignal | undefined;
  readonly #onUserAbort = (): void => this.#controller.abort(this.#userSignal?.reason);
  #timer: NodeJS.Timeout | undefined;
  #timedOut = false;
  /** The timeout this scope enforces, in milliseconds. */
  readonly timeoutMs: number;

  constructor(userSignal: AbortSignal | undefined, timeoutMs: number) {
    this.#userSignal = userSignal;
    this.timeoutMs = timeoutMs;
    if (userSignal?.aborted) this.#controller.abort(userSignal.reason);
    else userSignal?.addEventListener("abort", this.#onUserAbort, { once: true });
    if (Number.isFinite(timeoutMs) && timeoutMs > 0) {
      this.#timer = setTimeout(() => {
        this.#timedOut = true;
        this.#controller.abort(new Error("deadline"));
      }, timeoutMs);
      this.#timer.unref();
    }
  }

  /** Aborts when the caller aborts or the deadline passes. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Whether the deadline (not the caller) ended the call. */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  /** Stops the deadline but keeps the caller's abort wired (for long-lived streams). */
  clearDeadline(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Releases the timer and the listener on the caller's signal. */
  dispose(): void {
    this.clearDeadline();
    this.#userSignal?.removeEventListener("abort", this.#onUserAbort);
  }

  /**
   * Turns whatever a failed send threw into what the caller should see: a TimeoutError, the caller's
   * own abort reason, or a NetworkError with a sanitised cause.
   */
  classify(error: unknown, site: RequestSite, secrets: readonly string[]): Error {
    if (this.#timedOut) return new TimeoutError(site, this.timeoutMs);
    if (this.#userSignal?.aborted) return abortError(this.#userSignal);
    if (error instanceof NetworkError || error instanceof TimeoutError) return error;
    return new NetworkError(site, !neverReachedServer(error), safeCause(error, secrets));
  }
}

/** @internal What an aborted wait rejects with: the signal's reason when it is an Error, else an AbortError. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException("The operation was aborted", "AbortError");
}

/** Resolves `promise`, or rejects as soon as `signal` aborts (the promise itself keeps running). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Reads a body into a Buffer. */
export async function readBody(body: WireResponse["body"]): Promise<Buffer> {
  return Buffer.from(await body.arrayBuffer());
}
