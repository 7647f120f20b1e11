import { ApiError, onlyKeys, optionalStringMap, requireName, type JsonObject } from "@node-ts-iam/sdk/kit";
import type { ErrorCode } from "./errors.js";
import type { TenantFunction } from "./gateway.js";

/** Namespaces of tenants are `tenant-<name>`; the IAM policy grants exactly `tenant-*:*`. */
export const TENANT_PREFIX = "tenant-";
/** Label marking objects this provisioner manages; its value is the tenant name. */
export const TENANT_LABEL = "node-ts-iam.dev/tenant";
/** Standard managed-by label. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "tenant-provisioner";

/** A starter function every tenant gets. */
export interface StarterFunction {
  name: string;
  image: string;
}

/** What every tenant gets (from the environment: src/settings.ts). */
export interface ProvisionerConfig {
  /** Functions deployed into every tenant namespace, in this order. */
  starterFunctions: StarterFunction[];
  /** Secrets generated for every tenant (random values, never rotated by a repeat). */
  secretNames: string[];
}

/** Everything a tenant should consist of. Objects are sorted so every run walks the same order. */
export interface TenantPlan {
  tenant: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  secretNames: string[];
  functions: TenantFunction[];
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const RESERVED_KEYS = new Set([TENANT_LABEL, MANAGED_BY_LABEL, "openfaas"]);
/** Prefixes Kubernetes reserves for its own components, and their subdomains (`pod-security.kubernetes.io`). */
const KUBERNETES_PREFIX = /(^|\.)(kubernetes\.io|k8s\.io)$/;

/** Validates a tenant name (the namespace `tenant-<name>` must be an RFC 1123 label). */
export function tenantName(value: unknown): string {
  const name = requireName(typeof value === "string" ? value : undefined, "tenant name");
  if (name.length > 63 - TENANT_PREFIX.length) {
    throw new ApiError<ErrorCode>(400, "INVALID_NAME", `tenant name must be at most ${63 - TENANT_PREFIX.length} characters`, { field: "name" });
  }
  return name;
}

/** Parses `POST /tenants` `{name, labels?, annotations?}` into the desired state. */
export function planTenant(body: JsonObject, config: ProvisionerConfig): TenantPlan {
  onlyKeys(body, ["name", "labels", "annotations"]);
  const tenant = tenantName(body["name"]);
  const labels = metadata(body, "labels", LABEL_VALUE);
  const annotations = metadata(body, "annotations", /^[\s\S]{0,4096}$/);
  const namespace = TENANT_PREFIX + tenant;
  const managed = { [TENANT_LABEL]: tenant, [MANAGED_BY_LABEL]: MANAGED_BY };
  const secretNames = [...config.secretNames].sort();
  return {
    tenant,
    namespace,
    labels: { ...labels, ...managed, openfaas: "1" },
    annotations: { ...annotations, openfaas: "1" },
    secretNames,
    functions: [...config.starterFunctions]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((fn) => ({
        service: fn.name,
        namespace,
        image: fn.image,
        labels: { ...managed },
        annotations: {},
        envVars: { TENANT: tenant },
        secrets: secretNames,
      })),
  };
}

function metadata(body: JsonObject, key: "labels" | "annotations", valuePattern: RegExp): Record<string, string> {
  const map = optionalStringMap(body, key) ?? {};
  for (const [k, v] of Object.entries(map)) {
    if (!LABEL_KEY.test(k) || !valuePattern.test(v)) {
      throw new ApiError<ErrorCode>(400, "INVALID_BODY", `${key}: "${k.slice(0, 80)}" is not a valid Kubernetes ${key.slice(0, -1)}`, { field: key });
    }
    if (RESERVED_KEYS.has(k)) {
      throw new ApiError<ErrorCode>(400, "INVALID_BODY", `${key}: "${k}" is set by the provisioner`, { field: key });
    }
    const reason = platformMeaning(k);
    if (reason) throw new ApiError<ErrorCode>(400, "INVALID_BODY", `${key}: "${k}" is refused: ${reason}`, { field: key });
  }
  return map;
}

/**
 * Why a caller may not set this key on a tenant's namespace, if it has a meaning to the platform:
 * Kubernetes acts on keys under its prefixes (`pod-security.kubernetes.io/enforce=privileged` would
 * lift the namespace's pod security; `kubernetes.io/metadata.name` names the namespace to selectors),
 * and faas-netes manages the namespaces marked `openfaas`: that key is refused in any case
 * (`Openfaas`, `OPENFAAS`), so no look-alike sits beside the one the provisioner sets.
 */
function platformMeaning(key: string): string | undefined {
  const slash = key.indexOf("/");
  const prefix = slash < 0 ? "" : key.slice(0, slash);
  if (KUBERNETES_PREFIX.test(prefix)) return `keys under ${prefix}/ are reserved for Kubernetes, which acts on them (pod security, namespace selectors)`;
  if (key.toLowerCase() === "openfaas") return "openfaas (in any case) marks the namespaces OpenFaaS manages; the provisioner sets it";
  return undefined;
}
