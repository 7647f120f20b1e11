/**
 * One invocation of a scheduled function, as the OpenFaaS cron-connector makes it (POST, no body,
 * `X-Topic: cron-function`, `X-Connector: cron-connector`, `/function/` or `/async-function/`),
 * authenticated to the function with a function token when it needs one, and logged as one
 * `Response:` (or `Error:`) line: function, status, bytes, duration. Never a body, never a token.
 */
import { OpenFaaSError, type Client, type InvokeResult } from "@node-ts-iam/sdk";
import type { FunctionAuthMode } from "./config.js";
import { functionKey, type CronFunction } from "./cron-table.js";
import { formatDuration } from "./duration.js";

/** What the invoker needs of the SDK client. */
export type InvokeGateway = Pick<Client, "invokeFunction">;

/** Options of {@link Invoker}. */
export interface InvokerOptions {
  gateway: InvokeGateway;
  /** Invoke through `/async-function/` (202 and a call id). */
  async: boolean;
  /** `Content-Type` of the request, when set. */
  contentType?: string | undefined;
  /** Deadline of one invocation (`Infinity` for none). */
  timeoutMs: number;
  functionAuth: FunctionAuthMode;
  log: (line: string) => void;
}

/** The topic the connector serves (the `topic` annotation value). */
export const CRON_TOPIC = "cron-function";
/**
 * The realm of-watchdog names when `jwt_auth` refuses a call without a function token
 * (`WWW-Authenticate: Bearer realm=IAM function invoke`, openfaas/faas-middleware auth/jwt_authenticator.go).
 */
const FUNCTION_AUTH_REALM = /realm="?IAM function invoke/i;

/** Invokes functions and logs the outcome. */
export class Invoker {
  readonly #options: InvokerOptions;
  /** Functions whose watchdog asked for a function token although the listing did not say so. */
  readonly #learned = new Set<string>();
  readonly #inFlight = new Set<Promise<void>>();
  /** The headers of every invocation (the SDK copies them into each request). */
  readonly #headers: Readonly<Record<string, string>>;

  constructor(options: InvokerOptions) {
    this.#options = options;
    this.#headers = {
      "x-topic": CRON_TOPIC,
      "x-connector": "cron-connector",
      ...(options.contentType ? { "content-type": options.contentType } : {}),
    };
  }

  /** Invocations still running. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Starts an invocation and tracks it; never rejects. */
  start(fn: CronFunction): Promise<void> {
    const run = this.invoke(fn).finally(() => this.#inFlight.delete(run));
    this.#inFlight.add(run);
    return run;
  }

  /** Resolves when every invocation started so far has finished. */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Forgets what was learned about a function (it was unscheduled). */
  forget(key: string): void {
    this.#learned.delete(key);
  }

  /** Invokes `fn` once and logs `Invoking:` then `Response:` or `Error:`; never rejects. */
  async invoke(fn: CronFunction): Promise<void> {
    const key = functionKey(fn);
    const { log } = this.#options;
    log(`Invoking: ${key} [${fn.schedule.spec}]`);
    let withToken = this.#needsToken(fn);
    const started = performance.now();
    try {
      let result = await this.#call(fn, withToken);
      if (!withToken && !this.#options.async && this.#asksForFunctionToken(result)) {
        // The watchdog refused before the function ran, so calling again cannot run it twice.
        this.#learned.add(key);
        withToken = true;
        log(`Function auth: ${key} answered 401 for a function token (jwt_auth); invoking it with one from now on`);
        result = await this.#call(fn, true);
      }
      const callId = result.callId !== undefined ? ` call-id ${result.callId}` : "";
      log(`Response: ${key} [${result.status}] ${result.body.length} bytes (${formatDuration(performance.now() - started)})${callId}`);
    } catch (error) {
      log(`Error: ${key} after ${formatDuration(performance.now() - started)}: ${describe(error, fn, withToken)}`);
    }
  }

  #needsToken(fn: CronFunction): boolean {
    return this.#options.functionAuth === "always" || fn.jwtAuth || this.#learned.has(functionKey(fn));
  }

  #call(fn: CronFunction, functionAuth: boolean): Promise<InvokeResult> {
    return this.#options.gateway.invokeFunction(
      fn.name,
      fn.namespace,
      { async: this.#options.async, headers: this.#headers, functionAuth, throwHttpErrors: false },
      { timeoutMs: this.#options.timeoutMs },
    );
  }

  #asksForFunctionToken(result: InvokeResult): boolean {
    if (result.status !== 401) return false;
    const challenge = result.headers["www-authenticate"];
    return (Array.isArray(challenge) ? challenge : [challenge ?? ""]).some((c) => FUNCTION_AUTH_REALM.test(c));
  }
}

/** A log-safe account of a failed invocation: SDK errors hold no token; anything else is named only. */
function describe(error: unknown, fn: CronFunction, withToken: boolean): string {
  if (!(error instanceof OpenFaaSError)) return `unexpected ${error instanceof Error ? error.name : typeof error}`;
  // The function-token exchange is the only OAuth call an invocation makes.
  if (error.code === "ERR_OAUTH" && withToken) {
    return `${error.code}: function token refused: ${error.message} (the connector's Policy needs Function:Invoke on ${fn.namespace}:${fn.name})`;
  }
  return `${error.code}: ${error.message}`;
}
