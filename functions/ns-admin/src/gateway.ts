/**
 * The gateway operations ns-admin uses, as a structural subset of `@node-ts-iam/sdk`'s `Client`, so
 * that tests can inject a fake and the handler passes `gatewayClient()` unchanged.
 */

/** Per-call options (the SDK's `CallOptions`). */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** A namespace as the gateway describes it. */
export interface NamespaceInfo {
  name: string;
  labels?: Record<string, string> | undefined;
  annotations?: Record<string, string> | undefined;
}

/** A deployed function as the gateway lists it (fields this API passes on). */
export interface FunctionInfo {
  name: string;
  image: string;
  namespace?: string | undefined;
  replicas?: number | undefined;
  availableReplicas?: number | undefined;
  labels?: Record<string, string> | null | undefined;
  annotations?: Record<string, string> | null | undefined;
}

/** What deploy/update send (the gateway's `FunctionDeployment`). */
export interface FunctionSpec {
  service: string;
  image: string;
  namespace?: string;
  envProcess?: string;
  envVars?: Record<string, string>;
  constraints?: string[];
  secrets?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  limits?: { memory?: string; cpu?: string };
  requests?: { memory?: string; cpu?: string };
  readOnlyRootFilesystem?: boolean;
}

/** A secret's listing entry (values are never listed). */
export interface SecretInfo {
  name: string;
  namespace?: string | undefined;
}

/** A secret to write: `value` (text) or `rawValue` (base64). */
export interface SecretWrite {
  name: string;
  namespace?: string;
  value?: string;
  rawValue?: string;
}

/** One log line. */
export interface LogLine {
  name?: string | undefined;
  namespace?: string | undefined;
  instance?: string | undefined;
  timestamp?: string | Date | undefined;
  text: string;
}

/** Log request parameters. */
export interface LogQuery {
  name: string;
  namespace?: string;
  tail?: number;
  follow?: boolean;
  since?: string | Date;
}

/** The gateway operations used by ns-admin. */
export interface NsAdminGateway {
  getNamespaces(options?: CallOptions): Promise<string[]>;
  getFunctions(namespace: string, options?: CallOptions): Promise<FunctionInfo[]>;
  getFunction(name: string, namespace: string, options?: CallOptions): Promise<FunctionInfo>;
  deploy(spec: FunctionSpec, options?: CallOptions): Promise<number>;
  update(spec: FunctionSpec, options?: CallOptions): Promise<number>;
  deleteFunction(name: string, namespace: string, options?: CallOptions): Promise<void>;
  scaleFunction(name: string, namespace: string, replicas: number, options?: CallOptions): Promise<void>;
  getSecrets(namespace: string, options?: CallOptions): Promise<SecretInfo[]>;
  createSecret(secret: SecretWrite, options?: CallOptions): Promise<number>;
  updateSecret(secret: SecretWrite, options?: CallOptions): Promise<number>;
  deleteSecret(name: string, namespace: string, options?: CallOptions): Promise<void>;
  getLogs(query: LogQuery, options?: CallOptions): AsyncIterable<LogLine>;
}
