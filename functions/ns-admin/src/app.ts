import {
  ApiError,
  createRouter,
  hasErrorCode,
  intQuery,
  isDnsLabel,
  json,
  jsonBody,
  onlyKeys,
  optionalString,
  optionalStringArray,
  optionalStringMap,
  queryParam,
  requireName,
  withErrorAnswers,
  type Api,
  type FunctionDeployment,
  type JsonObject,
  type LogsRequest,
  type Params,
  type Secret,
} from "@node-ts-iam/sdk";
import type { ErrorCode } from "./errors.js";
import type { NsAdminGateway } from "./gateway.js";
import type { NamespaceScope } from "./scope.js";

/** The annotation that picks a function's service account, i.e. its IAM identity. */
export const SERVICE_ACCOUNT_ANNOTATION = "com.openfaas.serviceaccount";

/** Settings and collaborators of the ns-admin API. */
export interface NsAdminOptions {
  /** The gateway client; called per request so the real client is created lazily. */
  gateway: () => NsAdminGateway;
  /** Which namespaces requests may name. */
  scope: NamespaceScope;
  /** Upper bound for `replicas` in a scale request (default 20). */
  maxReplicas?: number;
  /**
   * Whether deployments may set `com.openfaas.serviceaccount` (default false): a team that can pick
   * any service account of its namespace could borrow that account's IAM roles.
   */
  allowServiceAccountAnnotation?: boolean;
  /** How long a log tail may take before the lines read so far are returned (default 5 s). */
  logTimeoutMs?: number;
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
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const MAX_SECRET_BYTES = 512 * 1024;

/**
 * Creates the ns-admin API: `(request) => response`, never throwing. Every request naming a
 * namespace is checked against the scope before the gateway is called.
 */
export function createNsAdmin(options: NsAdminOptions): Api {
  const { scope } = options;
  const maxReplicas = options.maxReplicas ?? 20;
  const logTimeoutMs = options.logTimeoutMs ?? 5_000;
  const gw = (): NsAdminGateway => options.gateway();

  /** Validates the `:namespace` parameter and applies the guard. */
  const namespaceOf = (params: Params): string => {
    const namespace = requireName(params["namespace"], "namespace");
    if (!scope.allows(namespace)) {
      throw new ApiError<ErrorCode>(403, "NAMESPACE_NOT_ALLOWED", `namespace "${namespace}" is outside this function's scope`, {
        namespace,
        allowed: scope.entries,
      });
    }
    return namespace;
  };

  const deploySpec = (body: JsonObject, name: string, namespace: string): FunctionDeployment => {
    onlyKeys(body, DEPLOY_FIELDS);
    const image = optionalString(body, "image", 512);
    if (!image || /\s/.test(image)) throw new ApiError<ErrorCode>(400, "INVALID_BODY", "image is required (a non-empty string without spaces)", { field: "image" });
    const annotations = optionalStringMap(body, "annotations");
    if (annotations && SERVICE_ACCOUNT_ANNOTATION in annotations && !options.allowServiceAccountAnnotation) {
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
  };

  const secretValue = (body: JsonObject): Pick<Secret, "value" | "rawValue"> => {
    const value = body["value"];
    const rawValue = body["rawValue"];
    if ((value === undefined) === (rawValue === undefined)) {
      throw new ApiError<ErrorCode>(400, "INVALID_BODY", "give exactly one of value (text) or rawValue (base64)", { field: "value" });
    }
    if (value !== undefined) {
      if (typeof value !== "string" || Buffer.byteLength(value) > MAX_SECRET_BYTES) {
        throw new ApiError<ErrorCode>(400, "INVALID_BODY", "value must be a string of at most 512 KiB", { field: "value" });
      }
      return { value };
    }
    if (typeof rawValue !== "string" || rawValue.length % 4 !== 0 || !BASE64.test(rawValue) || rawValue.length > (MAX_SECRET_BYTES * 4) / 3) {
      throw new ApiError<ErrorCode>(400, "INVALID_BODY", "rawValue must be base64 of at most 512 KiB", { field: "rawValue" });
    }
    return { rawValue };
  };

  const route = createRouter([
    {
      pattern: "/",
      methods: {
        GET: async () =>
          json(200, {
            service: "ns-admin",
            scope: scope.unrestricted ? "*" : scope.entries,
            routes: [
              "GET /namespaces",
              "GET /namespaces/{namespace}/functions",
              "GET|PUT|DELETE /namespaces/{namespace}/functions/{name}",
              "POST /namespaces/{namespace}/functions/{name}/scale",
              "GET /namespaces/{namespace}/functions/{name}/logs?tail=&since=",
              "GET|POST /namespaces/{namespace}/secrets",
              "PUT|DELETE /namespaces/{namespace}/secrets/{name}",
            ],
          }),
      },
    },
    {
      pattern: "/namespaces",
      methods: {
        GET: async () => {
          const all = await gw().getNamespaces();
          return json(200, { namespaces: all.filter((ns) => scope.allows(ns)).sort() });
        },
      },
    },
    {
      pattern: "/namespaces/:namespace/functions",
      methods: {
        GET: async (_req, params) => {
          const namespace = namespaceOf(params);
          return json(200, { namespace, functions: await gw().getFunctions(namespace) });
        },
      },
    },
    {
      pattern: "/namespaces/:namespace/functions/:name",
      methods: {
        GET: async (_req, params) => {
          const namespace = namespaceOf(params);
          const name = requireName(params["name"], "function name");
          return json(200, await gw().getFunction(name, namespace));
        },
        PUT: async (req, params) => {
          const namespace = namespaceOf(params);
          const name = requireName(params["name"], "function name");
          const spec = deploySpec(jsonBody(req), name, namespace);
          const action = await deployOrUpdate(gw(), spec);
          return json(action === "created" ? 201 : 200, { name, namespace, action });
        },
        DELETE: async (_req, params) => {
          const namespace = namespaceOf(params);
          const name = requireName(params["name"], "function name");
          await gw().deleteFunction(name, namespace);
          return json(200, { name, namespace, action: "deleted" });
        },
      },
    },
    {
      pattern: "/namespaces/:namespace/functions/:name/scale",
      methods: {
        POST: async (req, params) => {
          const namespace = namespaceOf(params);
          const name = requireName(params["name"], "function name");
          const body = jsonBody(req);
          onlyKeys(body, ["replicas"]);
          const replicas = body["replicas"];
          if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0 || replicas > maxReplicas) {
            throw new ApiError<ErrorCode>(400, "INVALID_REPLICAS", `replicas must be an integer from 0 to ${maxReplicas}`, { field: "replicas", max: maxReplicas });
          }
          await gw().scaleFunction(name, namespace, replicas);
          return json(202, { name, namespace, replicas });
        },
      },
    },
    {
      pattern: "/namespaces/:namespace/functions/:name/logs",
      methods: {
        GET: async (req, params) => {
          const namespace = namespaceOf(params);
          const name = requireName(params["name"], "function name");
          const tail = intQuery(req, "tail", 1, 1000, 100);
          const since = queryParam(req, "since");
          if (since !== undefined && (!/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(since) || Number.isNaN(Date.parse(since)))) {
            throw new ApiError<ErrorCode>(400, "INVALID_QUERY", "since must be an RFC 3339 timestamp", { field: "since" });
          }
          const lines = await tailLogs(gw(), { name, namespace, tail, follow: false, ...(since ? { since } : {}) }, logTimeoutMs);
          return json(200, { name, namespace, lines });
        },
      },
    },
    {
      pattern: "/namespaces/:namespace/secrets",
      methods: {
        GET: async (_req, params) => {
          const namespace = namespaceOf(params);
          const secrets = await gw().getSecrets(namespace);
          return json(200, { namespace, secrets: secrets.map((s) => ({ name: s.name })) });
        },
        POST: async (req, params) => {
          const namespace = namespaceOf(params);
          const body = jsonBody(req);
          onlyKeys(body, ["name", "value", "rawValue"]);
          const name = requireName(typeof body["name"] === "string" ? body["name"] : undefined, "secret name");
          await gw().createSecret({ name, namespace, ...secretValue(body) });
          return json(201, { name, namespace, action: "created" });
        },
      },
    },
    {
      pattern: "/namespaces/:namespace/secrets/:name",
      methods: {
        PUT: async (req, params) => {
          const namespace = namespaceOf(params);
          const name = requireName(params["name"], "secret name");
          const body = jsonBody(req);
          onlyKeys(body, ["value", "rawValue"]);
          await gw().updateSecret({ name, namespace, ...secretValue(body) });
          return json(200, { name, namespace, action: "updated" });
        },
        DELETE: async (_req, params) => {
          const namespace = namespaceOf(params);
          const name = requireName(params["name"], "secret name");
          await gw().deleteSecret(name, namespace);
          return json(200, { name, namespace, action: "deleted" });
        },
      },
    },
  ]);

  return withErrorAnswers(route, { service: "ns-admin" });
}

function resources(body: JsonObject, key: "limits" | "requests"): { memory?: string; cpu?: string } | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  const fail = (): never => {
    throw new ApiError<ErrorCode>(400, "INVALID_BODY", `${key} must be {memory?, cpu?} with quantities like "128Mi" or "0.5"`, { field: key });
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail();
  const entries = Object.entries(value as JsonObject);
  const out: { memory?: string; cpu?: string } = {};
  for (const [k, v] of entries) {
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

/** Reads up to `tail` lines without following; a slow stream returns what arrived in time. */
async function tailLogs(
  gw: NsAdminGateway,
  query: LogsRequest,
  timeoutMs: number,
): Promise<{ timestamp?: string; instance?: string; text: string }[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const lines: { timestamp?: string; instance?: string; text: string }[] = [];
  try {
    for await (const line of gw.getLogs(query, { signal: controller.signal })) {
      lines.push({
        ...timestampOf(line.timestamp),
        ...(line.instance ? { instance: line.instance } : {}),
        text: line.text,
      });
      if (lines.length >= (query.tail ?? 100)) break;
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
  }
  return lines;
}

function timestampOf(value: string | Date | undefined): { timestamp?: string } {
  if (typeof value === "string") return { timestamp: value };
  if (value instanceof Date && !Number.isNaN(value.getTime())) return { timestamp: value.toISOString() };
  return {};
}
