/**
 * Our own, stricter structural schemas for the IAM objects, written from the IAM documentation
 * (https://docs.openfaas.com/openfaas-pro/iam/overview/: "Permissions", "Resource scope", "OpenFaaS
 * IAM language"; the CRDs accept any string where OpenFaaS only understands a few): `effect` is only `Allow`,
 * actions are `Kind:Verb` from the documented list, resources are `*`, `<ns>:*` or `<ns>:<fn>`
 * with `*` wildcards, a Role's principal is only `jwt:sub`, condition operators are the documented ones.
 */
import { CONDITION_OPERATORS, KNOWN_ACTIONS } from "@node-ts-iam/sandbox";
import type { Schema } from "./schema.js";

// The action and operator lists are the sandbox's (one source of truth for what the gateway checks).
const kinds = [...new Set(KNOWN_ACTIONS.map((a) => a.split(":")[0]!))];
const ACTION = `^(\\*|${[...kinds.map((k) => `${k}:\\*`), ...KNOWN_ACTIONS].join("|")})$`;
const RESOURCE = "^(\\*|[a-z0-9*]([-a-z0-9*]*[a-z0-9*])?:(\\*|[a-z0-9*]([-a-z0-9*]*[a-z0-9*])?))$";
const NAME = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

const condition: Schema = {
  type: "object",
  additionalProperties: false,
  properties: Object.fromEntries(
    CONDITION_OPERATORS.map((op) => [
      op,
      { type: "object", additionalProperties: { type: "array", minItems: 1, items: { type: "string" } } } satisfies Schema,
    ]),
  ),
};

const metadata = (namespace: string): Schema => ({
  type: "object",
  required: ["name", "namespace"],
  properties: {
    name: { type: "string", pattern: NAME },
    namespace: { type: "string", enum: [namespace] },
    labels: { type: "object", additionalProperties: { type: "string" } },
    annotations: { type: "object", additionalProperties: { type: "string" } },
  },
});

/** Schemas by kind. IAM objects live in `openfaas`; function service accounts in `openfaas-fn`. */
export const iamSchemas: Record<string, Schema> = {
  ServiceAccount: {
    type: "object",
    required: ["apiVersion", "kind", "metadata"],
    additionalProperties: false,
    properties: { apiVersion: { type: "string", enum: ["v1"] }, kind: { type: "string" }, metadata: metadata("openfaas-fn") },
  },
  Policy: {
    type: "object",
    required: ["apiVersion", "kind", "metadata", "spec"],
    additionalProperties: false,
    properties: {
      apiVersion: { type: "string", enum: ["iam.openfaas.com/v1"] },
      kind: { type: "string" },
      metadata: metadata("openfaas"),
      spec: {
        type: "object",
        required: ["statement"],
        additionalProperties: false,
        properties: {
          statement: {
            type: "array",
            minItems: 1,
            items: {
              type: "object",
              required: ["sid", "effect", "action", "resource"],
              additionalProperties: false,
              properties: {
                sid: { type: "string", pattern: NAME },
                effect: { type: "string", enum: ["Allow"] },
                action: { type: "array", minItems: 1, items: { type: "string", pattern: ACTION } },
                resource: { type: "array", minItems: 1, items: { type: "string", pattern: RESOURCE } },
                condition,
              },
            },
          },
        },
      },
    },
  },
  Role: {
    type: "object",
    required: ["apiVersion", "kind", "metadata", "spec"],
    additionalProperties: false,
    properties: {
      apiVersion: { type: "string", enum: ["iam.openfaas.com/v1"] },
      kind: { type: "string" },
      metadata: metadata("openfaas"),
      spec: {
        type: "object",
        required: ["policy", "principal"],
        additionalProperties: false,
        properties: {
          policy: { type: "array", minItems: 1, items: { type: "string", pattern: NAME } },
          principal: {
            type: "object",
            required: ["jwt:sub"],
            additionalProperties: false,
            properties: { "jwt:sub": { type: "array", minItems: 1, items: { type: "string" } } },
          },
          condition,
        },
      },
    },
  },
};
