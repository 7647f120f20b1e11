/**
 * The connector's settings, read from the environment with the OpenFaaS cron-connector's names
 * (`gateway_url`, `asynchronous_invocation`, `content_type`, `rebuild_interval`, `rebuild_timeout`:
 * openfaas/cron-connector `config.go` and `main.go`) plus this connector's own (`upstream_timeout`,
 * `namespaces`, `function_auth`, `cron_time_scale`; the OpenFaaS one has no invocation deadline) and
 * the SDK's token location (`token_mount_path`, `OPENFAAS_TOKEN_FILE`).
 * Pure: no I/O. Anything malformed is a {@link ConnectorError} `ERR_CONFIG` naming the variable.
 */
import { configFromEnv } from "@node-ts-iam/sdk";
import { isDnsLabel } from "@node-ts-iam/sdk/kit";
import { parseGoDuration } from "./duration.js";
import { ConnectorError } from "./errors.js";

/** When the connector sends a function token (`scope=function`, `audience=<ns>:<fn>`). */
export type FunctionAuthMode =
  /**
   * When the gateway lists the function with `jwt_auth` on (`envVars`), or after its watchdog
   * answered a synchronous call 401 with realm `IAM function invoke` (then retried at once).
   */
  | "auto"
  /** For every invocation: the Policy must grant `Function:Invoke` on every scheduled function. */
  | "always";

/** Everything the connector is configured with. */
export interface ConnectorConfig {
  /** `gateway_url` (required), without a trailing slash. */
  gatewayURL: string;
  /** `<gateway_url>/oauth/token`, or `OPENFAAS_TOKEN_URL`. */
  tokenURL: string;
  /** The projected token: `OPENFAAS_TOKEN_FILE`, else `<token_mount_path>/openfaas-token`. */
  tokenFile: string;
  /** `asynchronous_invocation`: invoke through `/async-function/` (default false). */
  async: boolean;
  /** `content_type`: `Content-Type` of the (empty) invocation request; none when unset. */
  contentType: string | undefined;
  /** `rebuild_interval`: time between two rebuilds of the schedule (default 30 s). */
  rebuildIntervalMs: number;
  /** `rebuild_timeout`: deadline of each gateway call of a rebuild (default 5 s). */
  rebuildTimeoutMs: number;
  /** `upstream_timeout`: deadline of an invocation; `Infinity` (the default: the Go connector has none) for none. */
  upstreamTimeoutMs: number;
  /** `namespaces`: serve exactly these (no `Namespace:List` needed); unset: every namespace the gateway lists. */
  namespaces: string[] | undefined;
  /** `function_auth`: `auto` (default) or `always`. */
  functionAuth: FunctionAuthMode;
  /** `cron_time_scale`: the schedule clock runs this many times faster (the sandbox's time scale; default 1). */
  timeScale: number;
}

type Env = Readonly<Record<string, string | undefined>>;

const MIN_REBUILD_INTERVAL_MS = 100;

/** Reads the configuration; throws {@link ConnectorError} `ERR_CONFIG` naming the variable at fault. */
export function configFromEnvironment(env: Env = process.env): ConnectorConfig {
  const fail = (message: string): never => {
    throw new ConnectorError("ERR_CONFIG", message);
  };
  if (env["async_invocation"] !== undefined) fail("async_invocation is not a setting: the variable is asynchronous_invocation (as the OpenFaaS cron-connector names it)");
  if (isTrue(env["basic_auth"])) {
    fail("basic_auth is not supported: this connector authenticates only with its own projected service account token (token_mount_path)");
  }

  const gatewayText = env["gateway_url"]?.trim();
  if (!gatewayText) fail("gateway_url is not set: set it to the gateway's URL, e.g. http://gateway.openfaas:8080");
  let gateway: URL;
  try {
    gateway = new URL(gatewayText!);
  } catch {
    return fail(`gateway_url ${JSON.stringify(gatewayText)} is not a URL`);
  }
  // The value is not quoted back when it holds credentials.
  if (gateway.username || gateway.password) fail("gateway_url must not hold credentials: the connector authenticates with its own token");
  if (!["http:", "https:"].includes(gateway.protocol) || gateway.search || gateway.hash) {
    fail(`gateway_url ${JSON.stringify(gatewayText)} must be an http(s) URL without query or fragment`);
  }
  const sdk = configFromEnv({ ...env, OPENFAAS_URL: gatewayText });

  const duration = (name: string, fallbackMs: number, min: number): number => {
    const text = env[name]?.trim();
    if (!text) return fallbackMs;
    const ms = parseGoDuration(text);
    if (ms === undefined) return fail(`${name} ${JSON.stringify(text)} is not a duration (use Go's syntax: 30s, 1m, 1m30s)`);
    if (ms < min) fail(`${name} must be at least ${min} ms (got ${JSON.stringify(text)})`);
    return ms;
  };

  const namespacesText = env["namespaces"]?.trim();
  let namespaces: string[] | undefined;
  if (namespacesText) {
    namespaces = [...new Set(namespacesText.split(/[\s,]+/).filter(Boolean))];
    const bad = namespaces.find((ns) => !isDnsLabel(ns));
    if (bad !== undefined) fail(`namespaces: ${JSON.stringify(bad)} is not a namespace name`);
  }

  const authText = env["function_auth"]?.trim() || "auto";
  if (authText !== "auto" && authText !== "always") fail(`function_auth must be auto or always (got ${JSON.stringify(authText)})`);
  const functionAuth = authText as FunctionAuthMode;

  const scaleText = env["cron_time_scale"]?.trim();
  const timeScale = scaleText ? Number(scaleText) : 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) fail(`cron_time_scale must be a positive number (got ${JSON.stringify(scaleText)})`);

  const upstream = duration("upstream_timeout", 0, 0);
  return {
    gatewayURL: sdk.gatewayURL,
    tokenURL: sdk.tokenURL,
    tokenFile: sdk.tokenFile,
    async: boolean(env, "asynchronous_invocation", fail),
    contentType: env["content_type"]?.trim() || undefined,
    rebuildIntervalMs: duration("rebuild_interval", 30_000, MIN_REBUILD_INTERVAL_MS),
    rebuildTimeoutMs: duration("rebuild_timeout", 5_000, 1),
    upstreamTimeoutMs: upstream === 0 ? Infinity : upstream,
    namespaces,
    functionAuth,
    timeScale,
  };
}

function isTrue(value: string | undefined): boolean {
  return value === "1" || value?.trim().toLowerCase() === "true";
}

function boolean(env: Env, name: string, fail: (message: string) => never): boolean {
  const text = env[name]?.trim().toLowerCase();
  if (text === undefined || text === "") return false;
  if (text === "true" || text === "1") return true;
  if (text === "false" || text === "0") return false;
  return fail(`${name} must be true or false (got ${JSON.stringify(env[name])})`);
}
