/**
 * The gateway operations the provisioner uses, as a structural subset of `@node-ts-iam/sdk`'s
 * `Client`, so that tests can inject a fake and the handler passes `gatewayClient()` unchanged.
 */

/** Per-call options (the SDK's `CallOptions`). */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** A namespace with its metadata. */
export interface NamespaceInfo {
  name: string;
  labels?: Record<string, string> | undefined;
  annotations?: Record<string, string> | undefined;
}

/** A deployed function as the gateway describes it (fields the provisioner compares). */
export interface FunctionInfo {
  name: string;
  image: string;
  namespace?: string | undefined;
  labels?: Record<string, string> | null | undefined;
  annotations?: Record<string, string> | null | undefined;
  envVars?: Record<string, string> | null | undefined;
  secrets?: string[] | null | undefined;
}

/** What deploy/update send. */
export interface FunctionSpec {
  service: string;
  image: string;
  namespace: string;
  envVars?: Record<string, string>;
  secrets?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A secret's listing entry. */
export interface SecretInfo {
  name: string;
  namespace?: string | undefined;
}

/** A secret to write. */
export interface SecretWrite {
  name: string;
  namespace: string;
  value: string;
}

/** The gateway operations used by the tenant provisioner. */
export interface ProvisionerGateway {
  getNamespaces(options?: CallOptions): Promise<string[]>;
  getNamespace(name: string, options?: CallOptions): Promise<NamespaceInfo>;
  createNamespace(ns: NamespaceInfo, options?: CallOptions): Promise<void>;
  updateNamespace(ns: NamespaceInfo, options?: CallOptions): Promise<void>;
  deleteNamespace(name: string, options?: CallOptions): Promise<void>;
  getFunctions(namespace: string, options?: CallOptions): Promise<FunctionInfo[]>;
  deploy(spec: FunctionSpec, options?: CallOptions): Promise<number>;
  update(spec: FunctionSpec, options?: CallOptions): Promise<number>;
  deleteFunction(name: string, namespace: string, options?: CallOptions): Promise<void>;
  getSecrets(namespace: string, options?: CallOptions): Promise<SecretInfo[]>;
  createSecret(secret: SecretWrite, options?: CallOptions): Promise<number>;
  deleteSecret(name: string, namespace: string, options?: CallOptions): Promise<void>;
}

/** Whether `error` is the SDK's error with this code (checked structurally). */
export function hasCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}
