/**
 * The wire: undici, loaded on first use so that importing the SDK stays free; the process-wide
 * transport every SDK request goes through (the SDK's own keep-alive Agent unless
 * {@link setTransport} replaced it); bounded body reads.
 */
import type { Dispatcher } from "undici";
import { MAX_TIMER_MS } from "./abort.js";

type Undici = typeof import("undici");

let undici: Promise<Undici> | undefined;
let sharedAgent: Dispatcher | undefined;
let transport: Dispatcher | undefined;

/** Loads undici once; the first request pays for it, an idle handler never does. */
function loadUndici(): Promise<Undici> {
  undici ??= import("undici");
  return undici;
}

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

/** The transport {@link send} uses: the one set with {@link setTransport}, else the shared keep-alive Agent (created on first use). */
async function currentTransport(): Promise<Dispatcher> {
  if (transport) return transport;
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
  const dispatcher = await currentTransport();
  const res = await request(req.url, {
    dispatcher,
    method: req.method as Dispatcher.HttpMethod,
    headers: req.headers,
    body: req.body ?? null,
    signal: req.signal,
    // Deadlines are the SDK's own (CallScope, readBody's idle timer): undici's are accurate to a
    // second only, and its long defaults would only get in their way.
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

/** What a bounded read got. */
export interface BodyRead {
  /** The bytes read: all of the body, or its first `limitBytes`. */
  bytes: Buffer;
  /** False when the body was longer than the limit: the rest was never read, the connection is closed. */
  complete: boolean;
}

/** How {@link readBody} reads. */
export interface ReadLimits {
  /** Most bytes read. */
  limitBytes: number;
  /**
   * Whether the start of a longer body is of use (an error message). Without it nothing of a
   * longer body is returned, and one whose `content-length` already says so is not read at all.
   */
  prefix: boolean;
  /** Longest wait for the next chunk, in milliseconds; none when absent. */
  idleMs?: number | undefined;
}

/**
 * Reads at most `limitBytes` of a body, so that no peer can make the process buffer more. A longer
 * body is cut there and destroyed, which closes its connection (the rest is never received). A
 * body that sends nothing for `idleMs` is destroyed too, and the read fails (see
 * {@link stalledAfterMs}).
 */
export async function readBody(res: WireResponse, limits: ReadLimits): Promise<BodyRead> {
  const { limitBytes, prefix, idleMs } = limits;
  const body = res.body;
  if (!prefix && Number(header(res.headers, "content-length")) > limitBytes) {
    body.destroy();
    return { bytes: Buffer.alloc(0), complete: false };
  }
  // Reset on each chunk: only a pause counts, however long the whole body takes.
  const idle = idleMs === undefined || idleMs > MAX_TIMER_MS ? undefined : setTimeout(() => body.destroy(new BodyStalled(idleMs)), idleMs);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      idle?.refresh();
      if (size + chunk.length > limitBytes) {
        // An unfinished body destroyed: undici aborts the request and closes the socket.
        body.destroy();
        if (!prefix) return { bytes: Buffer.alloc(0), complete: false };
        chunks.push(chunk.subarray(0, limitBytes - size));
        return { bytes: Buffer.concat(chunks), complete: false };
      }
      chunks.push(chunk);
      size += chunk.length;
    }
  } finally {
    clearTimeout(idle);
  }
  return { bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), complete: true };
}
