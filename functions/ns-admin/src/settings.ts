import { parseScope, type NamespaceScope } from "./scope.js";

/** ns-admin's settings: read once from the environment, when the function loads. */
export interface NsAdminSettings {
  /** `ALLOWED_NAMESPACES`: the namespaces requests may name (unset or empty: none; `*`: the guard is off). */
  scope: NamespaceScope;
  /** `MAX_REPLICAS`: upper bound for `replicas` in a scale request (default 20). */
  maxReplicas: number;
  /** `ALLOW_SERVICEACCOUNT_ANNOTATION=true`: deployments may set `com.openfaas.serviceaccount` (default off). */
  allowServiceAccountAnnotation: boolean;
}

/**
 * Reads the settings. A malformed value throws, naming the variable, so the function fails to load
 * instead of serving with a guess (a bad `ALLOWED_NAMESPACES` must never widen the scope).
 */
export function readSettings(env: Readonly<Record<string, string | undefined>> = process.env): NsAdminSettings {
  return {
    scope: parseScope(env["ALLOWED_NAMESPACES"]),
    maxReplicas: wholeNumber(env, "MAX_REPLICAS", 20),
    allowServiceAccountAnnotation: env["ALLOW_SERVICEACCOUNT_ANNOTATION"] === "true",
  };
}

function wholeNumber(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const text = env[name]?.trim();
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}: expected a whole number >= 0, got "${text}"`);
  return n;
}
