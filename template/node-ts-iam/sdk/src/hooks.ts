/**
 * Request lifecycle hooks (ky-style). By default hooks never see credentials: the `Authorization`
 * header is added after `beforeRequest` hooks ran and is absent from every context object, and error
 * objects handed to hooks are the SDK's sanitised errors. Set `exposeCredentials` to opt in.
 */
import type { OpenFaaSError } from "./errors.js";

/** What a `beforeRequest` hook sees; it may add or change `headers`. */
export interface BeforeRequestContext {
  /** HTTP method. */
  readonly method: string;
  /** Full request URL (including query). */
  readonly url: URL;
  /** Request headers, mutable. Holds `authorization` only when `exposeCredentials` is set. */
  readonly headers: Record<string, string>;
  /** 1 for the first attempt, 2+ for retries and the replay after a 401. */
  readonly attempt: number;
}

/** What an `afterResponse` hook sees (the body is not exposed). */
export interface AfterResponseContext {
  /** HTTP method. */
  readonly method: string;
  /** Full request URL (including query). */
  readonly url: URL;
  /** Response status. */
  readonly status: number;
  /** Response headers (lower-case names). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Attempt number. */
  readonly attempt: number;
  /** Time from sending to the response head, in milliseconds. */
  readonly durationMs: number;
}

/** What a `beforeRetry` hook sees. */
export interface BeforeRetryContext {
  /** HTTP method. */
  readonly method: string;
  /** Full request URL (including query). */
  readonly url: URL;
  /** The attempt that failed. */
  readonly attempt: number;
  /** How long the client waits before the next attempt, in milliseconds. */
  readonly delayMs: number;
  /** Why the attempt failed (a sanitised SDK error). */
  readonly error: OpenFaaSError;
}

/** Hooks of a {@link Client}. Each list runs in order; a throwing hook fails the call with its error. */
export interface ClientHooks {
  /** Runs before each attempt is sent. */
  beforeRequest?: ReadonlyArray<(context: BeforeRequestContext) => void | Promise<void>>;
  /** Runs after each response head arrives (also for error statuses and before retries). */
  afterResponse?: ReadonlyArray<(context: AfterResponseContext) => void | Promise<void>>;
  /** Runs before the client waits for a retry. */
  beforeRetry?: ReadonlyArray<(context: BeforeRetryContext) => void | Promise<void>>;
  /**
   * Let `beforeRequest` hooks see (and change) the `Authorization` header. Off by default, so a
   * logging hook cannot leak a token by accident.
   */
  exposeCredentials?: boolean;
}
