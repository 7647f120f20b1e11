/**
 * Gateway API models, written from the gateway's OpenAPI spec (openfaas/faas,
 * `api-docs/spec.openapi.yml`) and from what openfaas/go-sdk (`client.go`, v0.3.0) reads and sends
 * where the spec is silent: the namespace API of the commercial editions (`/system/namespaces`,
 * `/system/namespace/{name}`), any 2xx as success, logs as newline-delimited JSON.
 */

/** CPU/memory quantities of a function (`FunctionResources`). */
export interface FunctionResources {
  /** Memory, e.g. `128M`. */
  memory?: string;
  /** CPU, e.g. `0.01`. */
  cpu?: string;
}

/** Resource usage reported for a function (`FunctionUsage`). */
export interface FunctionUsage {
  /** CPU usage increase since the last measurement, in millicores. */
  cpu?: number;
  /** Total memory usage in bytes. */
  totalMemoryBytes?: number;
}

/**
 * The configuration a function is deployed with; `FunctionDeployment` sends it, `FunctionStatus`
 * reports it back (the spec repeats the same fields in both schemas).
 */
export interface FunctionConfig {
  /** Container image. */
  image: string;
  /** Namespace (provider default, typically `openfaas-fn`, when omitted). */
  namespace?: string;
  /** The `fprocess` the watchdog forks. */
  envProcess?: string;
  /** Provider-specific placement constraints. */
  constraints?: string[];
  /** Environment variables. */
  envVars?: Record<string, string>;
  /** Names of secrets to mount. */
  secrets?: string[];
  /** Labels. */
  labels?: Record<string, string> | null;
  /** Annotations (e.g. `com.openfaas.serviceaccount`). */
  annotations?: Record<string, string> | null;
  /** Resource limits. */
  limits?: FunctionResources | null;
  /** Resource requests. */
  requests?: FunctionResources | null;
  /** Mount the root filesystem read-only. */
  readOnlyRootFilesystem?: boolean;
}

/** A function to deploy or update (`FunctionDeployment`). */
export interface FunctionDeployment extends FunctionConfig {
  /** Function name (RFC 1123 label). */
  service: string;
}

/** A deployed function as the gateway reports it (`FunctionStatus`). */
export interface FunctionStatus extends FunctionConfig {
  /** Function name. */
  name: string;
  /** Invocations counted by the gateway. */
  invocationCount?: number;
  /** Desired replicas. */
  replicas?: number;
  /** Available replicas. */
  availableReplicas?: number;
  /** Creation time (RFC 3339). */
  createdAt?: string;
  /** Resource usage. */
  usage?: FunctionUsage | null;
}

/** A secret's name and namespace, as listed (values are never listed) (`SecretDescription`). */
export interface SecretDescription {
  /** Secret name. */
  name: string;
  /** Namespace. */
  namespace?: string;
}

/** A secret to create or update (`Secret`): `value` (text) or `rawValue` (base64). */
export interface Secret extends SecretDescription {
  /** Plain-text value. */
  value?: string;
  /** Base64 value, for binary data when `value` is omitted. */
  rawValue?: string;
}

/** Version details (`VersionInfo`). */
export interface VersionInfo {
  /** Commit SHA. */
  sha: string;
  /** Release (semver). */
  release: string;
  /** Commit message. */
  commit_message?: string;
}

/** Provider details (`ProviderInfo`). */
export interface ProviderInfo {
  /** Provider name, e.g. `faas-netes`. */
  provider: string;
  /** Orchestrator, e.g. `kubernetes`. */
  orchestration: string;
  /** Provider version. */
  version: VersionInfo | null;
}

/** `GET /system/info` (`GatewayInfo`). */
export interface GatewayInfo {
  /** Provider details. */
  provider: ProviderInfo | null;
  /** Gateway version. */
  version: VersionInfo | null;
  /** Platform architecture, e.g. `x86_64`. */
  arch: string;
}

/** One log line (`LogEntry`). */
export interface LogMessage {
  /** Function name. */
  name: string;
  /** Namespace. */
  namespace: string;
  /** Instance (pod) the line came from. */
  instance: string;
  /** When it was written (RFC 3339). */
  timestamp: string;
  /** The text. */
  text: string;
}

/** A namespace with its metadata (commercial editions' namespace API). */
export interface NamespaceInfo {
  /** Namespace name. */
  name: string;
  /** Labels (managed namespaces carry `openfaas: "1"`). */
  labels?: Record<string, string>;
  /** Annotations (managed namespaces carry `openfaas: "1"`). */
  annotations?: Record<string, string>;
}

/** Options of `getLogs`. */
export interface LogsRequest {
  /** Function name. */
  name: string;
  /** Namespace (gateway default when omitted). */
  namespace?: string;
  /** Maximum number of lines (≤ 0 means unlimited). */
  tail?: number;
  /** Keep streaming new lines until the loop ends or the call is aborted. */
  follow?: boolean;
  /** Only lines after this time. */
  since?: Date | string;
  /** Only this instance's lines. */
  instance?: string;
}

/** Options of `invokeFunction`. */
export interface InvokeRequest {
  /** HTTP method (default `POST`; async invocations are always POST). */
  method?: string;
  /** Request body. */
  body?: string | Uint8Array;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Sub-path after `/function/<name>.<ns>`, e.g. `/items/1`. */
  path?: string;
  /** Query parameters. */
  query?: Record<string, string | number | boolean | readonly string[]>;
  /** Queue the invocation (`/async-function/`), answered 202 with a call id. */
  async?: boolean;
  /** URL the queue worker posts the result to (`X-Callback-Url`; async only). */
  callbackUrl?: string;
  /**
   * Authenticate to the function with a function token (exchanged with `scope=function`,
   * `audience=<ns>:<name>`); default: the client's `functionTokens` option.
   */
  functionAuth?: boolean;
  /** Throw a typed error on a non-2xx answer (default true); false returns it as a result. */
  throwHttpErrors?: boolean;
}

/** What a function answered. */
export interface InvokeResult {
  /** HTTP status. */
  status: number;
  /** Response headers (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
  /** Response body. */
  body: Buffer;
  /** `X-Call-Id` of an async invocation (or any invocation that returned one). */
  callId?: string;
}
