/**
 * The gateway operations the janitor uses, as a structural subset of `@node-ts-iam/sdk`'s `Client`.
 */

/** Per-call options (the SDK's `CallOptions`). */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** A deployed function (fields the janitor reads). */
export interface FunctionInfo {
  name: string;
  namespace?: string | undefined;
  labels?: Record<string, string> | null | undefined;
  annotations?: Record<string, string> | null | undefined;
}

/** The gateway operations used by the janitor. */
export interface JanitorGateway {
  getFunctions(namespace: string, options?: CallOptions): Promise<FunctionInfo[]>;
  deleteFunction(name: string, namespace: string, options?: CallOptions): Promise<void>;
}
