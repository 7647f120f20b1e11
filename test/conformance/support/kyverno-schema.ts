/**
 * Our own structural schemas for the two Kyverno kinds in functions/cluster/, written from
 * functions/cluster/kyverno-sources.md (Kyverno's public CRDs and docs). They cover the fields those
 * policies use and close every object we write (`additionalProperties: false`), so a misspelt field,
 * an operation or patch type Kyverno does not know, or a missing required part is an error here
 * rather than a field the API server prunes silently.
 */
import type { Schema } from "../../functions/support/schema.js";

/** Each Kyverno kind we ship: its apiVersion and the first Kyverno release that serves it (the table in functions/cluster/kyverno-sources.md). */
export const KYVERNO_KINDS = {
  ClusterPolicy: { apiVersion: "kyverno.io/v1", since: "1.12.0" },
  MutatingPolicy: { apiVersion: "policies.kyverno.io/v1", since: "1.17.0" },
} as const;

const DNS1123_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
const strings: Schema = { type: "array", items: { type: "string" } };
const stringMap: Schema = { type: "object", additionalProperties: { type: "string" } };

const labelSelector: Schema = {
  type: "object",
  additionalProperties: false,
  properties: {
    matchLabels: stringMap,
    matchExpressions: {
      type: "array",
      items: {
        type: "object",
        required: ["key", "operator"],
        additionalProperties: false,
        properties: {
          key: { type: "string" },
          operator: { type: "string", enum: ["In", "NotIn", "Exists", "DoesNotExist"] },
          values: strings,
        },
      },
    },
  },
};

/** Both kinds are cluster-scoped: no namespace. */
const clusterMetadata: Schema = {
  type: "object",
  required: ["name"],
  additionalProperties: false,
  properties: { name: { type: "string", pattern: DNS1123_SUBDOMAIN }, labels: stringMap, annotations: stringMap },
};

/** A whole cluster-scoped Kyverno object of `kind` whose `spec` is `spec`. */
const kyvernoObject = (kind: keyof typeof KYVERNO_KINDS, spec: Schema): Schema => ({
  type: "object",
  required: ["apiVersion", "kind", "metadata", "spec"],
  additionalProperties: false,
  properties: { apiVersion: { type: "string", enum: [KYVERNO_KINDS[kind].apiVersion] }, kind: { type: "string", enum: [kind] }, metadata: clusterMetadata, spec },
});

// ClusterPolicy: `match.any[].resources` (operations: CREATE, CONNECT, UPDATE, DELETE).
const resourceFilters: Schema = {
  type: "array",
  minItems: 1,
  items: {
    type: "object",
    required: ["resources"],
    additionalProperties: false,
    properties: {
      resources: {
        type: "object",
        required: ["kinds"],
        additionalProperties: false,
        properties: {
          kinds: { type: "array", minItems: 1, items: { type: "string" } },
          operations: { type: "array", minItems: 1, items: { type: "string", enum: ["CREATE", "CONNECT", "UPDATE", "DELETE"] } },
          names: strings,
          namespaces: strings,
          selector: labelSelector,
          namespaceSelector: labelSelector,
        },
      },
    },
  },
};
const matchBlock: Schema = { type: "object", additionalProperties: false, properties: { any: resourceFilters, all: resourceFilters } };

const clusterPolicy = kyvernoObject("ClusterPolicy", {
  type: "object",
  required: ["rules"],
  additionalProperties: false,
  properties: {
    background: { type: "boolean" },
    failurePolicy: { type: "string", enum: ["Fail", "Ignore"] },
    rules: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        required: ["name", "match", "mutate"],
        additionalProperties: false,
        properties: {
          name: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$" },
          match: matchBlock,
          exclude: matchBlock,
          mutate: {
            type: "object",
            additionalProperties: false,
            properties: {
              // Free-form in the CRD (a strategic merge patch of the matched object, with anchors).
              patchStrategicMerge: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
              patchesJson6902: { type: "string" },
            },
          },
        },
      },
    },
  },
});

// MutatingPolicy v1: Kubernetes' MatchResources and Mutation shapes plus Kyverno's fields.
const expression: Schema = { type: "object", required: ["expression"], additionalProperties: false, properties: { expression: { type: "string" } } };

const mutatingPolicy = kyvernoObject("MutatingPolicy", {
  type: "object",
  required: ["matchConstraints", "mutations"],
  additionalProperties: false,
  properties: {
    failurePolicy: { type: "string", enum: ["Fail", "Ignore"] },
    reinvocationPolicy: { type: "string", enum: ["Never", "IfNeeded"] },
    matchConstraints: {
      type: "object",
      required: ["resourceRules"],
      additionalProperties: false,
      properties: {
        resourceRules: {
          type: "array",
          minItems: 1,
          items: {
            type: "object",
            required: ["apiGroups", "apiVersions", "operations", "resources"],
            additionalProperties: false,
            properties: {
              apiGroups: strings,
              apiVersions: strings,
              operations: { type: "array", minItems: 1, items: { type: "string", enum: ["CREATE", "UPDATE", "DELETE", "CONNECT", "*"] } },
              resources: { type: "array", minItems: 1, items: { type: "string" } },
            },
          },
        },
        namespaceSelector: labelSelector,
        objectSelector: labelSelector,
      },
    },
    matchConditions: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "expression"],
        additionalProperties: false,
        properties: { name: { type: "string", pattern: "^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$" }, expression: { type: "string" } },
      },
    },
    mutations: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        required: ["patchType"],
        additionalProperties: false,
        properties: {
          patchType: { type: "string", enum: ["ApplyConfiguration", "JSONPatch"] },
          applyConfiguration: expression,
          jsonPatch: expression,
        },
      },
    },
  },
});

/** Our schema for each Kyverno kind, by kind. */
export const kyvernoSchemas: Record<keyof typeof KYVERNO_KINDS, Schema> = { ClusterPolicy: clusterPolicy, MutatingPolicy: mutatingPolicy };
