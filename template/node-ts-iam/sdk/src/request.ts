/**
 * The request pipeline every gateway call goes through: path and query, credentials, hooks,
 * deadline + caller abort, bounded reads, retries (idempotent calls; a POST only when it never
 * reached the server), the single replay after a 401, and mapping of failures to typed,
 * token-free errors. Its flow is one way: send, read a bounded body, and on failure build the
 * redacted error once (response-errors.ts) against the call scope's secrets.
 *
 * A call with a cached token goes straight through: no URL object, no AbortSignal, no promise
 * but the exchange's, one timer (the deadline); what only retries, hooks or errors need is made
 * when they happen (`test/sdk/per-call.test.ts` counts it).
 */
import type { Readable } from "node:stream";
import type { ClientAuth, Credential } from "./auth.js";
import { CallScope } from "./call-scope.js";
import { checkBytes, checkTimeout, HttpStatusError, NetworkError, OpenFaaSError, responseTooLarge, TimeoutError, type RequestSite } from "./errors.js";
import { abortable } from "./abort.js";
import type { ClientHooks } from "./hooks.js";
import { exchange, stalledAfterMs, type ReadAnswer, type ReadLimits, type StreamAnswer, type WireHeaders, type WireRequest } from "./http.js";
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
  headers: WireHeaders;
  body: Buffer;
  site: RequestSite;
}

/** @internal A streaming 2xx answer; `release()` must be called when done with the body. */
export interface StreamResponse {
  status: number;
  headers: WireHeaders;
  /** Destroying it (or reading it to its end) closes the request. */
  body: Readable;
  site: RequestSite;
  /** Maps a body read failure to the typed error. */
  classify(error: unknown): Error;
  release(): void;
}

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

/** What one run of a call got: an answer read whole, or a 2xx body to stream. */
interface Answered {
  status: number;
  headers: WireHeaders;
  body: Buffer | Readable;
  site: RequestSite;
}

/** @internal */
export class Pipeline {
  readonly #o: PipelineOptions;
  readonly #origin: string;
  readonly #basePath: string;
  /** How a call without its own `maxResponseBytes` reads: one object for every such call. */
  readonly #reads: { plain: ReadLimits; returningErrors: ReadLimits };
  /** How a stream reads: a 2xx body is handed over (it may idle), an error's first 4 KiB read as any other. */
  readonly #streams: ReadLimits;

  constructor(options: PipelineOptions) {
    this.#o = options;
    this.#origin = options.baseURL.origin;
    this.#basePath = options.baseURL.pathname.replace(/\/+$/, "");
    this.#reads = {
      plain: this.#limits(options.maxResponseBytes, false),
      returningErrors: this.#limits(options.maxResponseBytes, true),
    };
    this.#streams = { ...this.#limits(ERROR_BODY_BYTES, false), stream: true };
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
  async call(call: ApiCall, options?: CallOptions): Promise<ApiResponse> {
    checkTimeout(options?.timeoutMs, "timeoutMs", true);
    checkBytes(options?.maxResponseBytes, "maxResponseBytes", true);
    const returnErrors = call.returnErrors === true;
    const limits =
      options?.maxResponseBytes === undefined ? (returnErrors ? this.#reads.returningErrors : this.#reads.plain) : this.#limits(options.maxResponseBytes, returnErrors);
    const scope = new CallScope(options?.signal, options?.timeoutMs ?? this.#o.timeoutMs, this.#o.attemptTimeoutMs);
    try {
      return (await this.#run(call, scope, limits)) as ApiResponse;
    } finally {
      scope.dispose();
    }
  }

  /** Sends the call and hands back a 2xx body unread (errors are read and thrown as usual). */
  async stream(call: ApiCall, options?: CallOptions): Promise<StreamResponse> {
    checkTimeout(options?.timeoutMs, "timeoutMs", true);
    const scope = new CallScope(options?.signal, options?.timeoutMs ?? this.#o.timeoutMs, this.#o.attemptTimeoutMs);
    try {
      const res = (await this.#run(call, scope, this.#streams)) as Answered & { body: Readable };
      if (call.noDeadlineAfterHead) scope.clearDeadline();
      const site = res.site;
      return {
        status: res.status,
        headers: res.headers,
        body: res.body,
        site,
        classify: (error) => scope.classify(error, site),
        release: () => scope.dispose(),
      };
    } catch (error) {
      scope.dispose();
      throw error;
    }
  }

  /** The limits of a whole read: the body up to `maxBytes`; an error's first 4 KiB, unless the caller takes errors as answers. */
  #limits(maxBytes: number, returnErrors: boolean): ReadLimits {
    return { limitBytes: maxBytes, errorBytes: returnErrors ? undefined : ERROR_BODY_BYTES, idleMs: this.#o.bodyIdleTimeoutMs };
  }

  async #run(call: ApiCall, scope: CallScope, limits: ReadLimits): Promise<Answered> {
    const o = this.#o;
    const method = call.method;
    const path = this.#basePath + call.path;
    const site: RequestSite = { method, path };
    const auth = call.auth === "client" ? o.auth : call.auth === "none" ? undefined : call.auth;
    const idempotent = isIdempotent(method);
    const request: WireRequest = {
      origin: this.#origin,
      path: call.query === undefined ? path : path + queryString(call.query),
      method,
      headers: {},
      body: call.json !== undefined ? JSON.stringify(call.json) : call.body,
    };
    const startedAt = auth?.now?.() ?? Date.now();
    const hooks = o.hooks;
    let replayed = false;
    let retries = 0;

    for (let attempt = 1; ; attempt++) {
      let credential: Credential | undefined;
      if (auth) {
        try {
          // A credential at hand (a cached token) is taken synchronously: no promise on the hot path.
          credential = auth.peek?.() ?? (await abortable(auth.authorize(scope.signal), scope.signal));
        } catch (error) {
          if (scope.aborted) throw scope.classify(error, site);
          // Exchanges are safe to repeat, whatever the method of the call they serve.
          if (error instanceof OpenFaaSError && (isRetryableError(error) || error instanceof TimeoutError)) {
            if (await this.#backOff(scope, request, site, attempt, retries, error)) {
              retries++;
              continue;
            }
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
      if (hooks.beforeRequest) for (const hook of hooks.beforeRequest) await hook({ method, url: this.#url(request), headers, attempt });
      if (credential && !hooks.exposeCredentials) headers.authorization = credential.authorization();
      request.headers = headers;

      const sentAt = hooks.afterResponse ? performance.now() : 0;
      let answer: ReadAnswer | StreamAnswer;
      try {
        answer = await exchange(request, limits, scope);
      } catch (error) {
        scope.attemptEnded();
        const attemptTimedOut = scope.attemptTimedOut && !scope.aborted;
        const stalledMs = scope.aborted ? undefined : stalledAfterMs(error);
        if (attemptTimedOut || stalledMs !== undefined) {
          // The server may have processed a stalled attempt: only an idempotent call is sent again.
          const timeout = new TimeoutError(site, attemptTimedOut ? (o.attemptTimeoutMs as number) : (stalledMs as number));
          if (idempotent && (await this.#backOff(scope, request, site, attempt, retries, timeout))) {
            retries++;
            continue;
          }
          throw timeout;
        }
        const failure = scope.classify(error, site);
        if (failure instanceof NetworkError && (idempotent || !failure.reachedServer) && (await this.#backOff(scope, request, site, attempt, retries, failure))) {
          retries++;
          continue;
        }
        throw failure;
      }
      scope.attemptEnded();

      const status = answer.status;
      if (hooks.afterResponse) {
        for (const hook of hooks.afterResponse) {
          await hook({ method, url: this.#url(request), status, headers: answer.headers, attempt, durationMs: performance.now() - sentAt });
        }
      }
      if ("body" in answer) return { status, headers: answer.headers, body: answer.body, site };
      const ok = status >= 200 && status < 300;
      if (!answer.complete && (ok || limits.errorBytes === undefined)) throw responseTooLarge(site, status, "response body", limits.limitBytes);
      if (ok) return { status, headers: answer.headers, body: answer.bytes, site };

      if (status === 401 && !replayed && credential?.issuedAt !== undefined && credential.issuedAt < startedAt && auth?.invalidate) {
        // The token predates this call, so it may have been revoked or rotated meanwhile: one replay.
        auth.invalidate(startedAt);
        replayed = true;
        continue;
      }
      const retryable = idempotent && RETRYABLE_STATUSES.has(status);
      const answered: Answered = { status, headers: answer.headers, body: answer.bytes, site };
      if (call.returnErrors && !retryable) return answered;
      const error = answerError(site, { status, headers: answer.headers, body: answer.bytes }, scope.secrets, false);
      if (retryable && (await this.#backOff(scope, request, site, attempt, retries, error))) {
        retries++;
        continue;
      }
      if (call.returnErrors) return answered;
      throw error;
    }
  }

  /**
   * Waits before the next attempt when the policy allows one more (`retries` so far), running the
   * `beforeRetry` hooks first; false when the retries are used up or the server asked for longer
   * than the policy allows. Only an answer (an HttpStatusError, an OAuthError among them) can
   * carry the server's Retry-After.
   */
  async #backOff(scope: CallScope, request: WireRequest, site: RequestSite, attempt: number, retries: number, error: OpenFaaSError): Promise<boolean> {
    const policy = this.#o.retry;
    if (retries >= policy.limit) return false;
    const delayMs = retryDelay(retries + 1, policy, error instanceof HttpStatusError ? error.retryAfterMs : undefined);
    if (delayMs === undefined) return false;
    for (const hook of this.#o.hooks.beforeRetry ?? []) await hook({ method: request.method, url: this.#url(request), attempt, delayMs, error });
    try {
      await sleep(delayMs, scope.signal);
    } catch (abort) {
      throw scope.classify(abort, site);
    }
    return true;
  }

  /** The request's full URL, a new object each time (for hooks). */
  #url(request: WireRequest): URL {
    return new URL(request.origin + request.path);
  }
}

/**
 * `?name=value&…` as `URLSearchParams` writes it (form encoding), for the values that are not
 * `undefined`; `""` when there are none. Names and values that need no encoding (every RFC 1123
 * name does not) are taken as they are.
 */
function queryString(query: Record<string, QueryValue>): string {
  let out = "";
  for (const key of Object.keys(query)) {
    const value = query[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value as readonly string[]) out += `${out === "" ? "?" : "&"}${formEncode(key)}=${formEncode(v)}`;
    else out += `${out === "" ? "?" : "&"}${formEncode(key)}=${formEncode(String(value))}`;
  }
  return out;
}

const FORM_PLAIN = /^[A-Za-z0-9*._-]*$/;

function formEncode(text: string): string {
  return FORM_PLAIN.test(text) ? text : new URLSearchParams([["", text]]).toString().slice(1);
}
