import type { StructuralSchema } from "../schema/structural-schema.js";

/** `{ "<operator>": { "jwt:<claim>": ["value", ...] } }` */
const conditionSchema: StructuralSchema = {
  type: "object",
  additionalProperties: { type: "object", additionalProperties: { type: "array", items: { type: "string" } } },
};

const typeMeta: Record<string, StructuralSchema> = {
  apiVersion: { type: "string" },
  kind: { type: "string" },
  metadata: { type: "object" },
};

/** `openAPIV3Schema` of `jwtissuers.iam.openfaas.com` v1, written from the chart's CRD (openfaas/faas-netes `chart/openfaas/crds/`). */
export const jwtIssuerSchema: StructuralSchema = {
  type: "object",
  required: ["spec"],
  properties: {
    ...typeMeta,
    spec: {
      type: "object",
      required: ["aud", "iss"],
      properties: {
        aud: { type: "array", items: { type: "string" } },
        iss: { type: "string" },
        issInternal: { type: "string" },
        tokenExpiry: { type: "string" },
      },
    },
  },
};

/** `openAPIV3Schema` of `policies.iam.openfaas.com` v1. */
export const policySchema: StructuralSchema = {
  type: "object",
  required: ["spec"],
  properties: {
    ...typeMeta,
    spec: {
      type: "object",
      required: ["statement"],
      properties: {
        statement: {
          type: "array",
          items: {
            type: "object",
            required: ["action", "effect", "resource", "sid"],
            properties: {
              action: { type: "array", items: { type: "string" } },
              condition: conditionSchema,
              effect: { type: "string" },
              resource: { type: "array", items: { type: "string" } },
              sid: { type: "string" },
            },
          },
        },
      },
    },
  },
};

/** `openAPIV3Schema` of `roles.iam.openfaas.com` v1. */
export const roleSchema: StructuralSchema = {
  type: "object",
  required: ["spec"],
  properties: {
    ...typeMeta,
    spec: {
      type: "object",
      properties: {
        condition: conditionSchema,
        policy: { type: "array", items: { type: "string" } },
        principal: { type: "object", additionalProperties: { type: "array", items: { type: "string" } } },
      },
    },
  },
};

/** The IAM CRD schemas by kind (group `iam.openfaas.com`, version `v1`). */
export const IAM_CRD_SCHEMAS = { JwtIssuer: jwtIssuerSchema, Policy: policySchema, Role: roleSchema } as const;

/** Core v1 ServiceAccount: only what the sandbox reads. */
export const serviceAccountSchema: StructuralSchema = {
  type: "object",
  required: ["metadata"],
  properties: {
    ...typeMeta,
    metadata: { type: "object", required: ["name"], properties: { name: { type: "string" }, namespace: { type: "string" } } },
  },
};
