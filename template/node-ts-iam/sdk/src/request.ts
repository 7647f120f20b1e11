/**
 * The request pipeline every gateway call goes through: URL building, credentials, hooks,
 * deadline + caller abort, retries (idempotent calls; a POST only when it never reached the server),
 * the single replay after a 401, and mapping of failures to typed, token-free errors.
 */
import type { Dispatcher } from "undici";
import type { ClientAuth, Credential } from "./auth.js";
import { checkTimeout, NetworkError, OpenFaaSError, TimeoutError, statusError, type RequestSite } from "./errors.js";
import type { ClientHooks } from "./hooks.js";
import { abortable, CallScope, header, readBody, send, type WireResponse } from "./http.js";
import { redact, truncate } from "./redact.js";
import { isIdempotent, isRetryableError, parseRetryAfter, RETRYABLE_STATUSES, retryDelay, sleep, type ResolvedRetry } from "./retry.js";

/** Per-call options, the last argument of every client method. */
export interface CallOptions {
  /** Aborts the call (rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Deadline of the whole call, including token exchange and retries, in milliseconds. */
  timeoutMs?: number;
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

/** @internal Configuration of a pipeline. */
export interface PipelineOptions {
  baseURL: URL;
  auth: ClientAuth | undefined;
  timeoutMs: number;
  attemptTimeoutMs: number | undefined;
  retry: ResolvedRetry;
  hooks: ClientHooks;
  dispatcher: Dispatcher | undefined;
  userAgent: string;
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

  /** Sends the call and reads the whole answer. */
  async call(call: ApiCall, options: CallOptions = {}): Promise<ApiResponse> {
    checkTimeout(options.timeoutMs, "timeoutMs", true);
    const scope = new CallScope(options.signal, options.timeoutMs ?? this.#o.timeoutMs);
    try {
      const res = await this.#run(call, scope, false);
      return { status: res.status, headers: res.headers, body: res.buffered ?? Buffer.alloc(0), site: res.site };
    } finally {
      scope.dispose();
    }
  }

  /** Sends the call and hands back a 2xx body unread (errors are read and thrown as usual). */
  async stream(call: ApiCall, options: CallOptions = {}): Promise<StreamResponse> {
    checkTimeout(options.timeoutMs, "timeoutMs", true);
    const scope = new CallScope(options.signal, options.timeoutMs ?? this.#o.timeoutMs);
    try {
      const res = await this.#run(call, scope, true);
      if (call.noDeadlineAfterHead) scope.clearDeadline();
      return {
        status: res.status,
        headers: res.headers,
        body: res.body,
        site: res.site,
        classify: (error) => scope.classify(error, res.site, res.secrets()),
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

  async #run(
    call: ApiCall,
    scope: CallScope,
    streaming: boolean,
  ): Promise<WireResponse & { buffered: Buffer | undefined; site: RequestSite; secrets: () => string[] }> {
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

    const waitForRetry = async (attempt: number, error: OpenFaaSError, retryAfterMs?: number): Promise<boolean> => {
      if (retries >= o.retry.limit) return false;
      const delayMs = retryDelay(retries + 1, o.retry, retryAfterMs);
      if (delayMs === undefined) return false;
      for (const hook of hooks.beforeRetry ?? []) await hook({ method, url: new URL(url), attempt, delayMs, error });
      try {
        await sleep(delayMs, scope.signal);
      } catch (abort) {
        throw scope.classify(abort, site, []);
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
          if (scope.timedOut || scope.signal.aborted) throw scope.classify(error, site, []);
          // Exchanges are safe to repeat, whatever the method of the call they serve.
          if (error instanceof OpenFaaSError && (isRetryableError(error) || error instanceof TimeoutError)) {
            if (await waitForRetry(attempt, error, (error as { retryAfterMs?: number }).retryAfterMs)) continue;
          }
          throw error;
        }
      }
      // Only error paths need the secrets list; building it lazily keeps the hot path allocation-free.
      const secrets = (): string[] => (credential ? credentialSecrets(credential) : []);
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
      let buffered: Buffer | undefined;
      try {
        res = await send({ url, method, headers, body, signal, dispatcher: o.dispatcher });
        if (!streaming || res.status < 200 || res.status >= 300) buffered = await readBody(res.body);
      } catch (error) {
        const attemptTimedOut = attemptScope?.timedOut === true && !scope.signal.aborted;
        attemptScope?.dispose();
        if (!attemptTimedOut) {
          const failure = scope.classify(error, site, secrets());
          if (failure instanceof NetworkError && (idempotent || !failure.reachedServer) && (await waitForRetry(attempt, failure))) continue;
          throw failure;
        }
        const timeout = new TimeoutError(site, attemptScope.timeoutMs);
        if (idempotent && (await waitForRetry(attempt, timeout))) continue;
        throw timeout;
      }
      if (streaming && attemptScope) attemptScope.clearDeadline();
      else attemptScope?.dispose();

      const status = res.status;
      for (const hook of hooks.afterResponse ?? []) {
        await hook({ method, url: new URL(url), status, headers: res.headers, attempt, durationMs: performance.now() - sentAt });
      }
      if (status >= 200 && status < 300) return { ...res, buffered, site, secrets };

      if (status === 401 && !replayed && credential?.issuedAt !== undefined && credential.issuedAt < startedAt && auth?.invalidate) {
        // The token predates this call, so it may have been revoked or rotated meanwhile: one replay.
        auth.invalidate(startedAt);
        replayed = true;
        continue;
      }
      const retryAfterMs = parseRetryAfter(header(res.headers, "retry-after"));
      const text = redact(truncate((buffered ?? Buffer.alloc(0)).toString("utf8").trim()), secrets());
      const error = statusError(site, status, text, retryAfterMs);
      if (idempotent && RETRYABLE_STATUSES.has(status) && (await waitForRetry(attempt, error, retryAfterMs))) continue;
      if (call.returnErrors) return { ...res, buffered, site, secrets };
      throw error;
    }
  }
}

function credentialSecrets(credential: Credential): string[] {
  const value = credential.authorization();
  const space = value.indexOf(" ");
  return space > 0 ? [value, value.slice(space + 1)] : [value];
}
