import { httpError } from "../http/errors.js";
import { isRfc1123Label } from "../names.js";
import { validateStructure, type StructuralSchema } from "../schema/structural-schema.js";
import type { StateStore } from "../state/state-store.js";
import { DEFAULT_FUNCTION_NAMESPACE } from "../state/state-store.js";

/** 400 naming the first field of `body` that does not fit `schema`. */
export function checkBody(body: unknown, schema: StructuralSchema, what: string): void {
  const violations = validateStructure(body, schema);
  if (violations.length > 0) {
    const v = violations[0]!;
    throw httpError(400, `invalid ${what}: ${v.path} ${v.message}`, { field: v.path });
  }
}

/** 400 unless `value` is an RFC 1123 label (Kubernetes object names: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/). */
export function requireName(value: unknown, field: string): string {
  if (!isRfc1123Label(value)) {
    throw httpError(400, `${field} must be an RFC 1123 label (lower-case letters, digits and '-', at most 63 characters)`, { field });
  }
  return value;
}

/** The namespace a request names (default `openfaas-fn`); 400 if malformed. */
export function namespaceParam(value: unknown, field = "namespace"): string {
  return value === undefined || value === "" || value === null ? DEFAULT_FUNCTION_NAMESPACE : requireName(value, field);
}

/**
 * The namespace of a request (default `openfaas-fn`); 400 if malformed, 404 if it does not exist. A
 * route calls it only once the caller is allowed the action on that namespace, so that a 404 never
 * tells a caller who may not look that a namespace exists.
 */
export function existingNamespace(store: StateStore, value: unknown, field = "namespace"): string {
  const name = namespaceParam(value, field);
  if (!store.namespace(name)) throw httpError(404, `namespace ${name} not found`);
  return name;
}
