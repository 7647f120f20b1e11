import type { StructuralSchema } from "./structural-schema.js";

/**
 * The gateway's request and response bodies, written from the gateway's OpenAPI spec (openfaas/faas
 * `api-docs/spec.openapi.yml`) and, where the spec lags the gateway, from the types its clients send
 * (openfaas/faas-provider `types/requests.go`, as faas-cli 0.18.12 and openfaas/go-sdk v0.3.0 use them).
 * The gateway validates requests with them; the tests validate every response with them.
 */
const stringMap: StructuralSchema = { type: "object", additionalProperties: { type: "string" } };
const nullableStringMap: StructuralSchema = { ...stringMap, nullable: true };

/**
 * Size caps of a deployment (and of a namespace's labels and annotations), so a body can neither
 * exhaust the gateway nor bloat `state.json`.
 * Where Kubernetes has a limit it is used (label values 63 characters; annotations 256 KiB in
 * total, checked in deployment-request.ts); the others are generous bounds no real function reaches.
 */
export const DEPLOYMENT_CAPS = {
  name: 63,
  image: 1024,
  envProcess: 4096,
  envVars: 256,
  envValue: 64 * 1024,
  secrets: 64,
  constraints: 64,
  constraint: 1024,
  labels: 64,
  labelValue: 63,
  annotations: 64,
  annotationValue: 64 * 1024,
  quantity: 64,
} as const;

const cappedMap = (maxProperties: number, maxLength: number, nullable = false): StructuralSchema => ({
  type: "object",
  maxProperties,
  additionalProperties: { type: "string", maxLength },
  ...(nullable ? { nullable: true } : {}),
});
/** An object's labels and annotations as a request may send them (their keys are checked in api/object-metadata.ts). */
const labelMap = cappedMap(DEPLOYMENT_CAPS.labels, DEPLOYMENT_CAPS.labelValue, true);
const annotationMap = cappedMap(DEPLOYMENT_CAPS.annotations, DEPLOYMENT_CAPS.annotationValue, true);
const quantity: StructuralSchema = { type: "string", maxLength: DEPLOYMENT_CAPS.quantity };
/** `FunctionResources`: memory and cpu (spec), plus the GPU keys faas-provider knows; nothing else is stored. */
const resources: StructuralSchema = {
  type: "object",
  nullable: true,
  additionalProperties: false,
  properties: { memory: quantity, cpu: quantity, "nvidia.com/gpu": quantity, "amd.com/gpu": quantity, "intel.com/gpu": quantity },
};

/** The configuration fields `FunctionDeployment` sends and `FunctionStatus` reports back. */
const functionConfigProperties: Record<string, StructuralSchema> = {
  image: { type: "string", maxLength: DEPLOYMENT_CAPS.image },
  namespace: { type: "string", maxLength: DEPLOYMENT_CAPS.name },
  envProcess: { type: "string", maxLength: DEPLOYMENT_CAPS.envProcess },
  constraints: { type: "array", maxItems: DEPLOYMENT_CAPS.constraints, items: { type: "string", maxLength: DEPLOYMENT_CAPS.constraint } },
  envVars: cappedMap(DEPLOYMENT_CAPS.envVars, DEPLOYMENT_CAPS.envValue),
  secrets: { type: "array", maxItems: DEPLOYMENT_CAPS.secrets, items: { type: "string", maxLength: DEPLOYMENT_CAPS.name } },
  labels: labelMap,
  annotations: annotationMap,
  limits: resources,
  requests: resources,
  readOnlyRootFilesystem: { type: "boolean" },
};

export const FunctionDeploymentSchema: StructuralSchema = {
  type: "object",
  required: ["service", "image"],
  properties: {
    service: { type: "string", maxLength: DEPLOYMENT_CAPS.name },
    ...functionConfigProperties,
    // Deprecated and ignored by every provider (spec); accepted, never stored.
    registryAuth: { type: "string", maxLength: DEPLOYMENT_CAPS.envProcess },
    network: { type: "string", maxLength: DEPLOYMENT_CAPS.envProcess },
  },
};

export const FunctionStatusSchema: StructuralSchema = {
  type: "object",
  required: ["name", "image"],
  properties: {
    name: { type: "string" },
    ...functionConfigProperties,
    invocationCount: { type: "number" },
    replicas: { type: "number" },
    availableReplicas: { type: "number" },
    createdAt: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T" },
    usage: { type: "object", nullable: true, properties: { cpu: { type: "number" }, totalMemoryBytes: { type: "number" } } },
  },
};

export const FunctionStatusListSchema: StructuralSchema = { type: "array", items: FunctionStatusSchema };

/** `{functionName, namespace}`: faas-provider's `DeleteFunctionRequest`, as faas-cli's `proxy/delete.go` sends it. */
export const DeleteFunctionRequestSchema: StructuralSchema = {
  type: "object",
  required: ["functionName"],
  properties: { functionName: { type: "string" }, namespace: { type: "string" } },
};

export const ScaleServiceRequestSchema: StructuralSchema = {
  type: "object",
  required: ["serviceName", "namespace", "replicas"],
  properties: { serviceName: { type: "string" }, namespace: { type: "string" }, replicas: { type: "integer", minimum: 0 } },
};

export const SecretDescriptionSchema: StructuralSchema = {
  type: "object",
  required: ["name"],
  properties: { name: { type: "string" }, namespace: { type: "string" } },
};

/** An array of descriptions, as faas-cli's `proxy/secret.go` reads the list (the spec's single object lags). */
export const SecretDescriptionListSchema: StructuralSchema = { type: "array", items: SecretDescriptionSchema };

export const SecretSchema: StructuralSchema = {
  type: "object",
  required: ["name"],
  properties: { name: { type: "string" }, namespace: { type: "string" }, value: { type: "string" }, rawValue: { type: "string", pattern: "^[A-Za-z0-9+/]*={0,2}$" } },
};

export const LogEntrySchema: StructuralSchema = {
  type: "object",
  required: ["name", "namespace", "instance", "timestamp", "text"],
  properties: {
    name: { type: "string" },
    namespace: { type: "string" },
    instance: { type: "string" },
    timestamp: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T" },
    text: { type: "string" },
  },
};

const VersionInfoSchema: StructuralSchema = {
  type: "object",
  required: ["sha", "release"],
  properties: { commit_message: { type: "string" }, sha: { type: "string" }, release: { type: "string" } },
};

export const GatewayInfoSchema: StructuralSchema = {
  type: "object",
  required: ["provider", "version", "arch"],
  properties: {
    provider: {
      type: "object",
      nullable: true,
      required: ["provider", "orchestration", "version"],
      properties: { provider: { type: "string" }, orchestration: { type: "string" }, version: { ...VersionInfoSchema, nullable: true } },
    },
    version: { ...VersionInfoSchema, nullable: true },
    arch: { type: "string" },
  },
};

export const ListNamespaceResponseSchema: StructuralSchema = { type: "array", items: { type: "string" } };

/** faas-provider's `FunctionNamespace` `{name, labels, annotations}` (namespace management of the commercial editions, go-sdk `GetNamespace`). */
export const NamespaceInfoSchema: StructuralSchema = {
  type: "object",
  required: ["name"],
  properties: { name: { type: "string" }, labels: nullableStringMap, annotations: nullableStringMap },
};

/** A namespace create or update: `FunctionNamespace` with the caps of a deployment's labels and annotations. */
export const NamespaceRequestSchema: StructuralSchema = {
  ...NamespaceInfoSchema,
  properties: { name: { type: "string", maxLength: DEPLOYMENT_CAPS.name }, labels: labelMap, annotations: annotationMap },
};

/** The success body of `/oauth/token` (RFC 8693 §2.2.1; OpenFaaS answers `issued_token_type` id_token). */
export const TokenResponseSchema: StructuralSchema = {
  type: "object",
  required: ["access_token", "issued_token_type", "token_type", "expires_in"],
  properties: { access_token: { type: "string" }, issued_token_type: { type: "string" }, token_type: { type: "string" }, expires_in: { type: "integer", minimum: 0 } },
};

/** An OAuth 2.0 error body. */
export const OAuthErrorSchema: StructuralSchema = {
  type: "object",
  required: ["error", "error_description"],
  properties: { error: { type: "string" }, error_description: { type: "string" } },
};

/** Every other error body of the gateway. */
export const ErrorBodySchema: StructuralSchema = { type: "object", required: ["message"], properties: { message: { type: "string" } } };
