/**
 * The request pipeline every gateway call goes through: URL building, credentials, hooks,
 * deadline + caller abort, bounded reads, retries (idempotent calls; a POST only when it never
 * reached the server), the single replay after a 401, and mapping of failures to typed,
 * token-free errors. Its flow is one way: send, read a bounded body, and on failure build the
 * redacted error once (response-errors.ts) against the call scope's secrets.
 */
import type { ClientAuth, Credential } from "./auth.js";
import { CallScope } from "./call-scope.js";
import { checkBytes, checkTimeout, HttpStatusError, NetworkError, OpenFaaSError, responseTooLarge, TimeoutError, type RequestSite } from "./errors.js";
import { abortable } from "./abort.js";
import type { ClientHooks } from "./hooks.js";
import { readBody, send, stalledAfterMs, type WireResponse } from "./http.js";
import { answerError, ERROR_BODY_BYTES } from "./response-errors.js";
import { isIdempotent, isRetryableError, RETRYABLE_STATUSES, retryDelay, sleep, type ResolvedRetry } from "./retry.js";

/** Per-call options, the last argument of every client method. */
export interface CallOptions {
  /** Aborts the call (rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Deadline of the whole call, including token exchange and retries, in milliseconds. */
  timeoutMs?: number;
  /**
   * Largest response body this call reads, in bytes (default: the client's `maxResponseBytes`);
   * a longer one fails with `ERR_RESPONSE_TOO_LARGE`. `Infinity` lifts the limit. A log stream
   * has no total limit, only one per line (`maxLogLineBytes`).
   */
  maxResponseBytes?: number;
}

/** Query parameter values. */
export type QueryValue = string | number | boolean | readonly string[] | undefined;

/** @internal One call as the API modules describe it. */
export interface ApiCall {
  method: string;
  /** Path below the gateway URL, already percent-encoded, starting with `/`. */
  path: string;
  query?: Record<string, QueryValue> | undefined;
  /** Serialised as JSON. */
  json?: unknown;
  /** Raw body (when `json` is absent). */
  body?: string | Uint8Array | undefined;
  headers?: Record<string, string> | undefined;
  /** `client`: the client's auth; `none`: no credential (function calls); or a specific auth. */
  auth: "client" | "none" | ClientAuth;
  /** Return non-2xx answers instead of throwing (default false). */
  returnErrors?: boolean;
  /** For streams: stop the deadline once the response head arrived (follow-mode logs). */
  noDeadlineAfterHead?: boolean;
}

/** @internal A fully read answer. */
export interface ApiResponse {
  status: number;
  headers: WireResponse["headers"];
  body: Buffer;
  site: RequestSite;
}

/** @internal A streaming 2xx answer; `release()` must be called when done with the body. */
export interface StreamResponse {
  status: number;
  headers: WireResponse["headers"];
  body: WireResponse["body"];
  site: RequestSite;
  /** Maps a body read failure to the typed error. */
  classify(error: unknown): Error;
  release(): void;
}

/** How an answer's body is taken: read whole up to a limit, or handed over unread (2xx only). */
type BodyMode = { maxBytes: number } | "stream";

/** @internal Configuration of a pipeline. */
export interface PipelineOptions {
  baseURL: URL;
  auth: ClientAuth | undefined;
  timeoutMs: number;
  attemptTimeoutMs: number | undefined;
  retry: ResolvedRetry;
  hooks: ClientHooks;
  userAgent: string;
  maxResponseBytes: number;
  bodyIdleTimeoutMs: number | undefined;
  maxLogLineBytes: number;
}

/** @internal */
export class Pipeline {
  readonly #o: PipelineOptions;
  readonly #basePath: string;

  constructor(options: PipelineOptions) {
    this.#o = options;
    this.#basePath = options.baseURL.pathname.replace(/\/+$/, "");
  }

  /** The client's auth. */
  get auth(): ClientAuth | undefined {
    return this.#o.auth;
  }

  /** Longest log line a stream reads, in bytes. */
  get maxLogLineBytes(): number {
    return this.#o.maxLogLineBytes;
  }

  /** Sends the call and reads the whole answer (up to `maxResponseBytes`). */
  async call(call: ApiCall, options: CallOptions = {}): Promise<ApiResponse> {
    checkTimeout(options.timeoutMs, "timeoutMs", true);
    checkBytes(options.maxResponseBytes, "maxResponseBytes", true);
    const scope = new CallScope(options.signal, options.timeoutMs ?? this.#o.timeoutMs);
    try {
      const res = await this.#run(call, scope, { maxBytes: options.maxResponseBytes ?? this.#o.maxResponseBytes });
      return { status: res.status, headers: res.headers, body: res.bytes ?? Buffer.alloc(0), site: res.site };
    } finally {
      scope.dispose();
    }
  }

  /** Sends the call and hands back a 2xx body unread (errors are read and thrown as usual). */
  async stream(call: ApiCall, options: CallOptions = {}): Promise<StreamResponse> {
    checkTimeout(options.timeoutMs, "timeoutMs", true);
    const scope = new CallScope(options.signal, options.timeoutMs ?? this.#o.timeoutMs);
    try {
      const res = await this.#run(call, scope, "stream");
      if (call.noDeadlineAfterHead) scope.clearDeadline();
      return {
        status: res.status,
        headers: res.headers,
        body: res.body,
        site: res.site,
        classify: (error) => scope.classify(error, res.site),
        release: () => scope.dispose(),
      };
    } catch (error) {
      scope.dispose();
      throw error;
    }
  }

  #url(call: ApiCall): URL {
    const url = new URL(this.#o.baseURL.href);
    url.pathname = this.#basePath + call.path;
    url.search = "";
    if (call.query) {
      for (const [key, value] of Object.entries(call.query)) {
        if (value === undefined) continue;
        if (Array.isArray(value)) for (const v of value as readonly string[]) url.searchParams.append(key, v);
        else url.searchParams.set(key, String(value));
      }
    }
    return url;
  }

  async #run(call: ApiCall, scope: CallScope, mode: BodyMode): Promise<WireResponse & { bytes: Buffer | undefined; site: RequestSite }> {
    const o = this.#o;
    const url = this.#url(call);
    const method = call.method.toUpperCase();
    const site: RequestSite = { method, path: url.pathname };
    const auth = call.auth === "client" ? o.auth : call.auth === "none" ? undefined : call.auth;
    const idempotent = isIdempotent(method);
    const body = call.json !== undefined ? JSON.stringify(call.json) : call.body;
    const startedAt = auth?.now?.() ?? Date.now();
    const hooks = o.hooks;
    let replayed = false;
    let retries = 0;

    // Only an answer (an HttpStatusError, an OAuthError among them) can carry the server's Retry-After.
    const waitForRetry = async (attempt: number, error: OpenFaaSError): Promise<boolean> => {
      if (retries >= o.retry.limit) return false;
      const delayMs = retryDelay(retries + 1, o.retry, error instanceof HttpStatusError ? error.retryAfterMs : undefined);
      if (delayMs === undefined) return false;
      for (const hook of hooks.beforeRetry ?? []) await hook({ method, url: new URL(url), attempt, delayMs, error });
      try {
        await sleep(delayMs, scope.signal);
      } catch (abort) {
        throw scope.classify(abort, site);
      }
      retries++;
      return true;
    };

    for (let attempt = 1; ; attempt++) {
      let credential: Credential | undefined;
      if (auth) {
        try {
          // A credential at hand (a cached token) is taken synchronously: no promise on the hot path.
          credential = auth.peek?.() ?? (await abortable(auth.authorize(scope.signal), scope.signal));
        } catch (error) {
          if (scope.timedOut || scope.signal.aborted) throw scope.classify(error, site);
          // Exchanges are safe to repeat, whatever the method of the call they serve.
          if (error instanceof OpenFaaSError && (isRetryableError(error) || error instanceof TimeoutError)) {
            if (await waitForRetry(attempt, error)) continue;
          }
          throw error;
        }
        // Every credential this call sends is a secret of its scope (its value is read only to redact).
        scope.sent(credential);
      }
      const headers: Record<string, string> = { "user-agent": o.userAgent, accept: "application/json", ...call.headers };
      if (call.json !== undefined) headers["content-type"] = "application/json";
      if (credential && hooks.exposeCredentials) headers.authorization = credential.authorization();
      // Hooks get copies of the URL: a hook must not be able to send the credential to another host.
      for (const hook of hooks.beforeRequest ?? []) await hook({ method, url: new URL(url), headers, attempt });
      if (credential && !hooks.exposeCredentials) headers.authorization = credential.authorization();

      const attemptScope = o.attemptTimeoutMs !== undefined && o.attemptTimeoutMs > 0 ? new CallScope(scope.signal, o.attemptTimeoutMs) : undefined;
      const signal = attemptScope?.signal ?? scope.signal;
      const sentAt = performance.now();
      let res: WireResponse;
      let bytes: Buffer | undefined;
      let exceededBytes: number | undefined;
      try {
        res = await send({ url, method, headers, body, signal });
        if ((res.status < 200 || res.status >= 300) && !call.returnErrors) {
          // Only the start of an error body is of use; a longer one is cut and its connection dropped.
          bytes = (await readBody(res, { limitBytes: ERROR_BODY_BYTES, prefix: true, idleMs: o.bodyIdleTimeoutMs })).bytes;
        } else if (mode !== "stream") {
          const read = await readBody(res, { limitBytes: mode.maxBytes, prefix: false, idleMs: o.bodyIdleTimeoutMs });
          bytes = read.bytes;
          if (!read.complete) exceededBytes = mode.maxBytes;
        }
      } catch (error) {
        const attemptTimedOut = attemptScope?.timedOut === true && !scope.signal.aborted;
        attemptScope?.dispose();
        const stalledMs = scope.signal.aborted ? undefined : stalledAfterMs(error);
        if (attemptTimedOut || stalledMs !== undefined) {
          // The server may have processed a stalled attempt: only an idempotent call is sent again.
          const timeout = new TimeoutError(site, attemptTimedOut ? attemptScope.timeoutMs : (stalledMs ?? 0));
          if (idempotent && (await waitForRetry(attempt, timeout))) continue;
          throw timeout;
        }
        const failure = scope.classify(error, site);
        if (failure instanceof NetworkError && (idempotent || !failure.reachedServer) && (await waitForRetry(attempt, failure))) continue;
        throw failure;
      }
      if (mode === "stream" && attemptScope) attemptScope.clearDeadline();
      else attemptScope?.dispose();

      const status = res.status;
      for (const hook of hooks.afterResponse ?? []) {
        await hook({ method, url: new URL(url), status, headers: res.headers, attempt, durationMs: performance.now() - sentAt });
      }
      if (exceededBytes !== undefined) throw responseTooLarge(site, status, "response body", exceededBytes);
      if (status >= 200 && status < 300) return { ...res, bytes, site };

      if (status === 401 && !replayed && credential?.issuedAt !== undefined && credential.issuedAt < startedAt && auth?.invalidate) {
        // The token predates this call, so it may have been revoked or rotated meanwhile: one replay.
        auth.invalidate(startedAt);
        replayed = true;
        continue;
      }
      const retryable = idempotent && RETRYABLE_STATUSES.has(status);
      if (call.returnErrors && !retryable) return { ...res, bytes, site };
      const error = answerError(site, { status, headers: res.headers, body: bytes ?? Buffer.alloc(0) }, scope.secrets, false);
      if (retryable && (await waitForRetry(attempt, error))) continue;
      if (call.returnErrors) return { ...res, bytes, site };
      throw error;
    }
  }
}
