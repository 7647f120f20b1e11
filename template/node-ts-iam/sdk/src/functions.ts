/** Function management: list, get, deploy, update, delete, scale (`/system/functions`, …). */
import { InvalidArgumentError } from "./errors.js";
import { optionalLabel, requireLabel } from "./names.js";
import type { CallOptions, Pipeline } from "./request.js";
import type { FunctionDeployment, FunctionStatus } from "./types.js";
import { expectArray, expectObject, fields, optional, parseJsonBody, str, type Where } from "./validate.js";

/** A function status's optional fields and their types. */
const FUNCTION_STATUS_FIELDS = fields({
  namespace: "string",
  envProcess: "string",
  envVars: "map",
  constraints: "strings",
  secrets: "strings",
  labels: "map",
  annotations: "map",
  limits: "object",
  requests: "object",
  readOnlyRootFilesystem: "boolean",
  invocationCount: "number",
  replicas: "number",
  availableReplicas: "number",
  createdAt: "string",
  usage: "object",
});

/** A function's status as the gateway sends it, checked field by field. */
function checkFunctionStatus(value: unknown, where: Where, what: string): FunctionStatus {
  const obj = expectObject(value, where, what);
  str(obj, "name", where, what);
  str(obj, "image", where, what);
  optional(obj, FUNCTION_STATUS_FIELDS, where, what);
  return obj as unknown as FunctionStatus;
}

/** @internal */
export async function getFunctions(p: Pipeline, namespace: string | undefined, options?: CallOptions): Promise<FunctionStatus[]> {
  const ns = optionalLabel(namespace, "namespace");
  const res = await p.call({ method: "GET", path: "/system/functions", query: { namespace: ns }, auth: "client" }, options);
  return expectArray(parseJsonBody(res), res, "functions").map((f, i) =>
    checkFunctionStatus(f, res, `functions[${i}]`),
  );
}

/** @internal */
export async function getFunction(p: Pipeline, name: string, namespace: string | undefined, options?: CallOptions): Promise<FunctionStatus> {
  const fn = requireLabel(name, "function name");
  const ns = optionalLabel(namespace, "namespace");
  const res = await p.call({ method: "GET", path: `/system/function/${fn}`, query: { namespace: ns }, auth: "client" }, options);
  return checkFunctionStatus(parseJsonBody(res), res, "function");
}

function checkDeployment(spec: FunctionDeployment): FunctionDeployment {
  if (typeof spec !== "object" || spec === null) throw new InvalidArgumentError("function deployment must be an object");
  requireLabel(spec.service, "service");
  optionalLabel(spec.namespace, "namespace");
  if (typeof spec.image !== "string" || spec.image.trim() === "") throw new InvalidArgumentError("image must be a non-empty string");
  return spec;
}

/** @internal */
export async function deploy(p: Pipeline, spec: FunctionDeployment, options?: CallOptions): Promise<number> {
  const res = await p.call({ method: "POST", path: "/system/functions", json: checkDeployment(spec), auth: "client" }, options);
  return res.status;
}

/** @internal */
export async function update(p: Pipeline, spec: FunctionDeployment, options?: CallOptions): Promise<number> {
  const res = await p.call({ method: "PUT", path: "/system/functions", json: checkDeployment(spec), auth: "client" }, options);
  return res.status;
}

/** @internal */
export async function deleteFunction(p: Pipeline, name: string, namespace: string | undefined, options?: CallOptions): Promise<void> {
  const functionName = requireLabel(name, "function name");
  const ns = optionalLabel(namespace, "namespace");
  await p.call({ method: "DELETE", path: "/system/functions", json: { functionName, ...(ns ? { namespace: ns } : {}) }, auth: "client" }, options);
}

/** @internal */
export async function scaleFunction(p: Pipeline, name: string, namespace: string | undefined, replicas: number, options?: CallOptions): Promise<void> {
  const serviceName = requireLabel(name, "function name");
  const ns = optionalLabel(namespace, "namespace");
  if (!Number.isSafeInteger(replicas) || replicas < 0) throw new InvalidArgumentError("replicas must be an integer >= 0");
  await p.call(
    { method: "POST", path: `/system/scale-function/${serviceName}`, json: { serviceName, namespace: ns ?? "", replicas }, auth: "client" },
    options,
  );
}
