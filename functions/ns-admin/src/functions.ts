import type { FunctionDeployment } from "@node-ts-iam/sdk";
import {
  ApiError,
  hasErrorCode,
  isDnsLabel,
  json,
  jsonBody,
  onlyKeys,
  optionalString,
  optionalStringArray,
  optionalStringMap,
  requireName,
  type JsonObject,
  type Route,
} from "@node-ts-iam/sdk/kit";
import type { RouteContext } from "./context.js";
import type { ErrorCode } from "./errors.js";
import type { NsAdminGateway } from "./gateway.js";

/** The annotation that picks a function's service account, i.e. its IAM identity. */
export const SERVICE_ACCOUNT_ANNOTATION = "com.openfaas.serviceaccount";

/** What the function routes are configured with. */
export interface FunctionRouteOptions {
  /** Upper bound for `replicas` in a scale request. */
  maxReplicas: number;
  /** Whether deployments may set {@link SERVICE_ACCOUNT_ANNOTATION}. */
  allowServiceAccountAnnotation: boolean;
}

const DEPLOY_FIELDS = [
  "image",
  "envProcess",
  "envVars",
  "constraints",
  "secrets",
  "labels",
  "annotations",
  "limits",
  "requests",
  "readOnlyRootFilesystem",
] as const;

const RESOURCE_QUANTITY = /^[0-9]+(\.[0-9]+)?[a-zA-Z]{0,2}$/;

/**
 * `GET /namespaces/{ns}/functions`, `GET|PUT|DELETE /namespaces/{ns}/functions/{name}` (`PUT`
 * deploys or updates) and `POST /namespaces/{ns}/functions/{name}/scale`.
 */
export function functionRoutes(context: RouteContext, options: FunctionRouteOptions): Route[] {
  return [
    {
      pattern: "/namespaces/:namespace/functions",
      methods: {
        GET: async (_req, params) => {
          const namespace = context.namespaceOf(params);
          return json(200, { namespace, functions: await context.gateway().getFunctions(namespace) });
        },
      },
    },
    {
      pattern: "/namespaces/:namespace/functions/:name",
      methods: {
        GET: async (_req, params) => {
          const namespace = context.namespaceOf(params);
          const name = requireName(params["name"], "function name");
          return json(200, await context.gateway().getFunction(name, namespace));
        },
        PUT: async (req, params) => {
          const namespace = context.namespaceOf(params);
          const name = requireName(params["name"], "function name");
          const spec = deploySpec(jsonBody(req), name, namespace, options.allowServiceAccountAnnotation);
          const action = await deployOrUpdate(context.gateway(), spec);
          return json(action === "created" ? 201 : 200, { name, namespace, action });
        },
        DELETE: async (_req, params) => {
          const namespace = context.namespaceOf(params);
          const name = requireName(params["name"], "function name");
          await context.gateway().deleteFunction(name, namespace);
          return json(200, { name, namespace, action: "deleted" });
        },
      },
    },
    {
      pattern: "/namespaces/:namespace/functions/:name/scale",
      methods: {
        POST: async (req, params) => {
          const namespace = context.namespaceOf(params);
          const name = requireName(params["name"], "function name");
          const body = jsonBody(req);
          onlyKeys(body, ["replicas"]);
          const replicas = body["replicas"];
          const max = options.maxReplicas;
          if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0 || replicas > max) {
            throw new ApiError<ErrorCode>(400, "INVALID_REPLICAS", `replicas must be an integer from 0 to ${max}`, { field: "replicas", max });
          }
          await context.gateway().scaleFunction(name, namespace, replicas);
          return json(202, { name, namespace, replicas });
        },
      },
    },
  ];
}

/** The deployment a `PUT` body describes, validated field by field. */
function deploySpec(body: JsonObject, name: string, namespace: string, allowServiceAccountAnnotation: boolean): FunctionDeployment {
  onlyKeys(body, DEPLOY_FIELDS);
  const image = optionalString(body, "image", 512);
  if (!image || /\s/.test(image)) throw new ApiError<ErrorCode>(400, "INVALID_BODY", "image is required (a non-empty string without spaces)", { field: "image" });
  const annotations = optionalStringMap(body, "annotations");
  if (annotations && SERVICE_ACCOUNT_ANNOTATION in annotations && !allowServiceAccountAnnotation) {
    throw new ApiError<ErrorCode>(403, "ANNOTATION_NOT_ALLOWED", `${SERVICE_ACCOUNT_ANNOTATION} cannot be set through ns-admin`, {
      field: "annotations",
    });
  }
  const readOnly = body["readOnlyRootFilesystem"];
  if (readOnly !== undefined && typeof readOnly !== "boolean") {
    throw new ApiError<ErrorCode>(400, "INVALID_BODY", "readOnlyRootFilesystem must be a boolean", { field: "readOnlyRootFilesystem" });
  }
  const spec: FunctionDeployment = { service: name, namespace, image };
  const envProcess = optionalString(body, "envProcess", 1024);
  const envVars = optionalStringMap(body, "envVars");
  const labels = optionalStringMap(body, "labels");
  const constraints = optionalStringArray(body, "constraints", (c) => c.length > 0 && c.length <= 256);
  const secrets = optionalStringArray(body, "secrets", isDnsLabel);
  const limits = resources(body, "limits");
  const requests = resources(body, "requests");
  if (envProcess !== undefined) spec.envProcess = envProcess;
  if (envVars) spec.envVars = envVars;
  if (labels) spec.labels = labels;
  if (annotations) spec.annotations = annotations;
  if (constraints) spec.constraints = constraints;
  if (secrets) spec.secrets = secrets;
  if (limits) spec.limits = limits;
  if (requests) spec.requests = requests;
  if (readOnly !== undefined) spec.readOnlyRootFilesystem = readOnly;
  return spec;
}

function resources(body: JsonObject, key: "limits" | "requests"): { memory?: string; cpu?: string } | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  const fail = (): never => {
    throw new ApiError<ErrorCode>(400, "INVALID_BODY", `${key} must be {memory?, cpu?} with quantities like "128Mi" or "0.5"`, { field: key });
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail();
  const out: { memory?: string; cpu?: string } = {};
  for (const [k, v] of Object.entries(value as JsonObject)) {
    if ((k !== "memory" && k !== "cpu") || typeof v !== "string" || !RESOURCE_QUANTITY.test(v)) return fail();
    out[k] = v;
  }
  return out;
}

/** Deploys, or updates when the function exists (also when a concurrent deploy won the race). */
async function deployOrUpdate(gw: NsAdminGateway, spec: FunctionDeployment): Promise<"created" | "updated"> {
  const exists = await gw.getFunction(spec.service, spec.namespace ?? "").then(
    () => true,
    (error: unknown) => {
      if (hasErrorCode(error, "ERR_NOT_FOUND")) return false;
      throw error;
    },
  );
  if (exists) {
    await gw.update(spec);
    return "updated";
  }
  try {
    await gw.deploy(spec);
    return "created";
  } catch (error) {
    if (!hasErrorCode(error, "ERR_CONFLICT")) throw error;
    await gw.update(spec);
    return "updated";
  }
}
