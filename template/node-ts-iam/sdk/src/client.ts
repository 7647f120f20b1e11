/**
 * The OpenFaaS gateway client: every Go SDK method in camelCase, on undici with keep-alive. As in
 * openfaas/go-sdk, methods that create or update resolve the gateway's 2xx status, and delete and
 * scale resolve nothing.
 */
import type { ClientAuth } from "./auth.js";
import { configFromEnv, sharedServiceAccountAuth } from "./config.js";
import { checkBytes, checkTimeout, InvalidArgumentError } from "./errors.js";
import * as functions from "./functions.js";
import type { ClientHooks } from "./hooks.js";
import { getInfo } from "./info.js";
import { invokeFunction } from "./invoke.js";
import { getLogs } from "./logs.js";
import * as namespaces from "./namespaces.js";
import { Pipeline, type CallOptions } from "./request.js";
import { resolveRetry, type RetryOptions } from "./retry.js";
import * as secrets from "./secrets.js";
import type {
  FunctionDeployment,
  FunctionStatus,
  GatewayInfo,
  InvokeRequest,
  InvokeResult,
  LogMessage,
  LogsRequest,
  NamespaceInfo,
  Secret,
  SecretDescription,
} from "./types.js";

/** Default `maxResponseBytes`: 8 MiB, thousands of functions' status in one list. */
const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/** Options of {@link Client}. */
export interface ClientOptions {
  /** Gateway base URL, e.g. `http://gateway.openfaas:8080`. */
  gatewayURL: string | URL;
  /** How to authenticate: {@link TokenAuth} (IAM) or {@link BasicAuth}; none when omitted. */
  auth?: ClientAuth;
  /** Default deadline of a call, including token exchange and retries (default 30,000 ms). */
  timeoutMs?: number;
  /** Deadline of one attempt; an idempotent attempt that exceeds it is retried (default: none). */
  attemptTimeoutMs?: number;
  /**
   * Longest pause between two chunks of a response body, per attempt (default 10,000 ms): a body
   * that stalls after its head fails the attempt with `ERR_TIMEOUT`, and an idempotent call is
   * retried within its deadline. Not applied to log streams, which may idle.
   */
  bodyIdleTimeoutMs?: number;
  /**
   * Largest response body read, in bytes (default 8 MiB; API JSON and invoke results): a longer
   * one fails with `ERR_RESPONSE_TOO_LARGE` and its connection is dropped. Per call:
   * `CallOptions.maxResponseBytes`. `Infinity` lifts the limit.
   */
  maxResponseBytes?: number;
  /** Longest log line read from a log stream, in bytes (default 256 KiB); a longer one fails with `ERR_RESPONSE_TOO_LARGE`. */
  maxLogLineBytes?: number;
  /** Retry limit, or the full retry policy (default 2 retries, full jitter from 100 ms, cap 2 s). */
  retries?: number | RetryOptions;
  /** Request lifecycle hooks. */
  hooks?: ClientHooks;
  /** Invoke functions with function tokens by default (needs TokenAuth; default false). */
  functionTokens?: boolean;
  /** `User-Agent` header (default `node-ts-iam-sdk`). */
  userAgent?: string;
}

/** Options of {@link Client.fromEnv}. */
export type FromEnvOptions = Partial<Omit<ClientOptions, "gatewayURL">> & {
  /** Environment to read (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
};

/** A client of the OpenFaaS gateway REST API. Creating one does no I/O. */
export class Client {
  /** The gateway base URL. */
  readonly gatewayURL: URL;
  readonly #pipeline: Pipeline;
  readonly #functionTokens: boolean;

  constructor(options: ClientOptions) {
    let url: URL;
    try {
      url = new URL(options.gatewayURL);
    } catch {
      throw new InvalidArgumentError("gatewayURL must be an absolute http(s) URL");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new InvalidArgumentError("gatewayURL must be an absolute http(s) URL");
    if (url.username || url.password) throw new InvalidArgumentError("gatewayURL must not carry credentials; use BasicAuth");
    checkTimeout(options.timeoutMs, "timeoutMs", true);
    checkTimeout(options.attemptTimeoutMs, "attemptTimeoutMs", false);
    checkTimeout(options.bodyIdleTimeoutMs, "bodyIdleTimeoutMs", false);
    checkBytes(options.maxResponseBytes, "maxResponseBytes", true);
    checkBytes(options.maxLogLineBytes, "maxLogLineBytes", false);
    this.gatewayURL = url;
    this.#functionTokens = options.functionTokens ?? false;
    this.#pipeline = new Pipeline({
      baseURL: url,
      auth: options.auth,
      timeoutMs: options.timeoutMs ?? 30_000,
      attemptTimeoutMs: options.attemptTimeoutMs,
      retry: resolveRetry(options.retries),
      hooks: options.hooks ?? {},
      userAgent: options.userAgent ?? "node-ts-iam-sdk",
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      bodyIdleTimeoutMs: options.bodyIdleTimeoutMs ?? 10_000,
      maxLogLineBytes: options.maxLogLineBytes ?? 256 * 1024,
    });
  }

  /**
   * A client configured from the environment: `OPENFAAS_URL`, `OPENFAAS_TOKEN_URL`,
   * `token_mount_path` / `OPENFAAS_TOKEN_FILE`, authenticating with the projected service account
   * token through the process-wide shared {@link TokenAuth} (unless `auth` is given).
   */
  static fromEnv(options: FromEnvOptions = {}): Client {
    const { env, ...rest } = options;
    const config = configFromEnv(env);
    return new Client({ ...rest, gatewayURL: config.gatewayURL, auth: rest.auth ?? sharedServiceAccountAuth(config) });
  }

  /** The client's auth, if any. */
  get auth(): ClientAuth | undefined {
    return this.#pipeline.auth;
  }

  /** `GET /system/namespaces`: namespaces the gateway manages. */
  getNamespaces(options?: CallOptions): Promise<string[]> {
    return namespaces.getNamespaces(this.#pipeline, options);
  }

  /** `GET /system/namespace/{name}`: one namespace with labels and annotations. */
  getNamespace(name: string, options?: CallOptions): Promise<NamespaceInfo> {
    return namespaces.getNamespace(this.#pipeline, name, options);
  }

  /** `POST /system/namespace/`: creates a namespace; resolves the (2xx) HTTP status. */
  createNamespace(namespace: NamespaceInfo, options?: CallOptions): Promise<number> {
    return namespaces.createNamespace(this.#pipeline, namespace, options);
  }

  /** `PUT /system/namespace/{name}`: replaces a namespace's labels and annotations; resolves the (2xx) HTTP status. */
  updateNamespace(namespace: NamespaceInfo, options?: CallOptions): Promise<number> {
    return namespaces.updateNamespace(this.#pipeline, namespace, options);
  }

  /** `DELETE /system/namespace/{name}`: deletes a namespace. */
  deleteNamespace(name: string, options?: CallOptions): Promise<void> {
    return namespaces.deleteNamespace(this.#pipeline, name, options);
  }

  /** `GET /system/functions?namespace=`: functions in a namespace (gateway default when omitted). */
  getFunctions(namespace?: string, options?: CallOptions): Promise<FunctionStatus[]> {
    return functions.getFunctions(this.#pipeline, namespace, options);
  }

  /** `GET /system/function/{name}?namespace=`: one function's status. */
  getFunction(name: string, namespace?: string, options?: CallOptions): Promise<FunctionStatus> {
    return functions.getFunction(this.#pipeline, name, namespace, options);
  }

  /** `POST /system/functions`: deploys a function; resolves the (2xx) HTTP status. Never retried once sent. */
  deploy(spec: FunctionDeployment, options?: CallOptions): Promise<number> {
    return functions.deploy(this.#pipeline, spec, options);
  }

  /** `PUT /system/functions`: updates a function; resolves the (2xx) HTTP status. */
  update(spec: FunctionDeployment, options?: CallOptions): Promise<number> {
    return functions.update(this.#pipeline, spec, options);
  }

  /** `DELETE /system/functions` with `{functionName, namespace}`. */
  deleteFunction(name: string, namespace?: string, options?: CallOptions): Promise<void> {
    return functions.deleteFunction(this.#pipeline, name, namespace, options);
  }

  /** `POST /system/scale-function/{name}` with `{serviceName, namespace, replicas}`. */
  scaleFunction(name: string, namespace: string | undefined, replicas: number, options?: CallOptions): Promise<void> {
    return functions.scaleFunction(this.#pipeline, name, namespace, replicas, options);
  }

  /** `GET /system/secrets?namespace=`: secret names (never values). */
  getSecrets(namespace?: string, options?: CallOptions): Promise<SecretDescription[]> {
    return secrets.getSecrets(this.#pipeline, namespace, options);
  }

  /** `POST /system/secrets`: creates a secret; resolves the (2xx) HTTP status. */
  createSecret(secret: Secret, options?: CallOptions): Promise<number> {
    return secrets.createSecret(this.#pipeline, secret, options);
  }

  /** `PUT /system/secrets`: replaces a secret's value; resolves the (2xx) HTTP status. */
  updateSecret(secret: Secret, options?: CallOptions): Promise<number> {
    return secrets.updateSecret(this.#pipeline, secret, options);
  }

  /** `DELETE /system/secrets` with `{name, namespace}`. */
  deleteSecret(name: string, namespace?: string, options?: CallOptions): Promise<void> {
    return secrets.deleteSecret(this.#pipeline, name, namespace, options);
  }

  /**
   * `GET /system/logs`: log lines as an async iterable. With `follow` it streams until the loop ends
   * (break/return) or the signal aborts, which closes the connection. The request starts on the
   * first iteration; the timeout covers the response head only when following.
   */
  getLogs(request: LogsRequest, options?: CallOptions): AsyncIterable<LogMessage> {
    return getLogs(this.#pipeline, request, options);
  }

  /** `GET /system/info`: gateway and provider versions. */
  getInfo(options?: CallOptions): Promise<GatewayInfo> {
    return getInfo(this.#pipeline, options);
  }

  /**
   * Invokes a function through the gateway, sync or async. Never sends the client's API token; with
   * function auth it sends a function token for exactly this function.
   */
  invokeFunction(name: string, namespace: string | undefined, request: InvokeRequest = {}, options?: CallOptions): Promise<InvokeResult> {
    return invokeFunction(this.#pipeline, name, namespace, request, this.#functionTokens, options);
  }
}
