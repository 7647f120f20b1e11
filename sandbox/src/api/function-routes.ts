import { readJsonObject } from "../http/body.js";
import { httpError } from "../http/errors.js";
import { sendJson } from "../http/respond.js";
import type { Router } from "../http/router.js";
import { DeleteFunctionRequestSchema, FunctionDeploymentSchema, ScaleServiceRequestSchema } from "../schema/api-schemas.js";
import type { FunctionDeployment, FunctionRecord, SandboxState } from "../state/model.js";
import { findFunction, findNamespace } from "../state/state-store.js";
import { authenticate, requireAllowed } from "./authorization.js";
import type { GatewayContext } from "./context.js";
import { validateDeployment } from "./deployment-request.js";
import { checkBody, existingNamespace, namespaceParam, requireName } from "./request-checks.js";

/** The `FunctionStatus` body of a stored function. */
export function functionStatus(ctx: GatewayContext, record: FunctionRecord): Record<string, unknown> {
  const d = record.deployment;
  const available = ctx.runner.endpoint(d.namespace, d.service) ? 1 : 0;
  return {
    name: d.service,
    image: d.image,
    namespace: d.namespace,
    ...(d.envProcess ? { envProcess: d.envProcess } : {}),
    envVars: d.envVars,
    constraints: d.constraints,
    secrets: d.secrets,
    labels: d.labels,
    annotations: d.annotations,
    ...(d.limits ? { limits: d.limits } : {}),
    ...(d.requests ? { requests: d.requests } : {}),
    readOnlyRootFilesystem: d.readOnlyRootFilesystem ?? false,
    invocationCount: ctx.invocations.get(`${d.namespace}/${d.service}`) ?? 0,
    replicas: record.replicas,
    // One process serves a function however many replicas are asked for (see README).
    availableReplicas: available,
    createdAt: record.createdAt,
  };
}

/** Checks a deployment body (400 naming the field) and that its namespace and secrets exist. */
function parseDeployment(ctx: GatewayContext, body: Record<string, unknown>): FunctionDeployment {
  const deployment = validateDeployment(body);
  existingNamespace(ctx.store, deployment.namespace);
  deployment.secrets.forEach((s, i) => {
    if (!ctx.store.secret(s, deployment.namespace)) throw httpError(400, `secret ${s} not found in namespace ${deployment.namespace}; create it before deploying`, { field: `secrets[${i}]` });
  });
  return deployment;
}

/** Starts (or stops) the process after the record is stored; a start failure is logged, the deployment stays. */
async function applyRecord(ctx: GatewayContext, record: FunctionRecord): Promise<void> {
  try {
    await ctx.runner.apply(record);
  } catch (err) {
    ctx.log(`function ${record.deployment.namespace}/${record.deployment.service}: could not start: ${(err as Error).message}`);
  }
}

/** `GET|POST|PUT|DELETE /system/functions`, `GET /system/function/{n}`, `POST /system/scale-function/{n}`. */
export function registerFunctionRoutes(router: Router, ctx: GatewayContext): void {
  router.on("GET", "/system/functions", async (req, res, _p, url) => {
    const caller = await authenticate(req, ctx);
    const namespace = namespaceParam(url.searchParams.get("namespace") ?? undefined);
    requireAllowed(ctx, caller, "Function:List", `${namespace}:*`);
    existingNamespace(ctx.store, namespace);
    sendJson(res, 200, ctx.store.functions.filter((f) => f.deployment.namespace === namespace).map((f) => functionStatus(ctx, f)));
  });

  router.on("GET", "/system/function/:name", async (req, res, params, url) => {
    const caller = await authenticate(req, ctx);
    const name = requireName(params["name"], "function name");
    const namespace = namespaceParam(url.searchParams.get("namespace") ?? undefined);
    requireAllowed(ctx, caller, "Function:Get", `${namespace}:${name}`);
    existingNamespace(ctx.store, namespace);
    const record = ctx.store.function(name, namespace);
    if (!record) throw httpError(404, `function ${name} not found in namespace ${namespace}`);
    sendJson(res, 200, functionStatus(ctx, record));
  });

  router.on("POST", "/system/functions", async (req, res) => {
    const caller = await authenticate(req, ctx);
    const body = await readJsonObject(req);
    checkBody(body, FunctionDeploymentSchema, "function deployment");
    const resource = `${isNameOrDefault(body["namespace"])}:${requireName(body["service"], "service")}`;
    requireAllowed(ctx, caller, "Function:Create", resource);
    const deployment = parseDeployment(ctx, body);
    const record: FunctionRecord = { deployment, replicas: 1, createdAt: new Date().toISOString() };
    await ctx.store.mutate((s) => {
      requireNamespaceIn(s, deployment.namespace);
      if (findFunction(s, deployment.service, deployment.namespace)) throw httpError(409, `function ${deployment.service} already exists in namespace ${deployment.namespace}`);
      s.functions.push(record);
    });
    await applyRecord(ctx, record);
    sendJson(res, 202, { message: runnableMessage(ctx, deployment) });
  });

  router.on("PUT", "/system/functions", async (req, res) => {
    const caller = await authenticate(req, ctx);
    const body = await readJsonObject(req);
    checkBody(body, FunctionDeploymentSchema, "function deployment");
    requireAllowed(ctx, caller, "Function:Update", `${isNameOrDefault(body["namespace"])}:${requireName(body["service"], "service")}`);
    const deployment = parseDeployment(ctx, body);
    let record!: FunctionRecord;
    await ctx.store.mutate((s) => {
      const existing = requireFunctionIn(s, deployment.service, deployment.namespace);
      record = { deployment, replicas: Math.max(existing.replicas, 1), createdAt: existing.createdAt };
      s.functions = s.functions.map((f) => (f === existing ? record : f));
    });
    await applyRecord(ctx, record);
    sendJson(res, 202, { message: runnableMessage(ctx, deployment) });
  });

  router.on("DELETE", "/system/functions", async (req, res) => {
    const caller = await authenticate(req, ctx);
    const body = await readJsonObject(req);
    checkBody(body, DeleteFunctionRequestSchema, "delete request");
    const name = requireName(body["functionName"], "functionName");
    const namespace = namespaceParam(body["namespace"]);
    requireAllowed(ctx, caller, "Function:Delete", `${namespace}:${name}`);
    existingNamespace(ctx.store, namespace);
    await ctx.store.mutate((s) => {
      const existing = requireFunctionIn(s, name, namespace);
      s.functions = s.functions.filter((f) => f !== existing);
    });
    await ctx.runner.stop(namespace, name);
    ctx.logs.forget(namespace, name);
    sendJson(res, 202, { message: `function ${name} deleted from namespace ${namespace}` });
  });

  router.on("POST", "/system/scale-function/:name", async (req, res, params) => {
    const caller = await authenticate(req, ctx);
    const name = requireName(params["name"], "function name");
    const body = await readJsonObject(req);
    if (body["serviceName"] === undefined) body["serviceName"] = name;
    checkBody(body, ScaleServiceRequestSchema, "scale request");
    if (body["serviceName"] !== name) throw httpError(400, `serviceName does not match the path (${name})`, { field: "serviceName" });
    const namespace = namespaceParam(body["namespace"]);
    requireAllowed(ctx, caller, "Function:Scale", `${namespace}:${name}`);
    existingNamespace(ctx.store, namespace);
    const replicas = body["replicas"] as number;
    let record!: FunctionRecord;
    await ctx.store.mutate((s) => {
      const existing = requireFunctionIn(s, name, namespace);
      record = { ...existing, replicas };
      s.functions = s.functions.map((f) => (f === existing ? record : f));
    });
    const wasRunning = ctx.runner.endpoint(namespace, name) !== undefined;
    if (replicas === 0 || !wasRunning) await applyRecord(ctx, record);
    sendJson(res, 202, { message: `function ${name} scaled to ${replicas}` });
  });
}

// Checked on the store's draft, inside its write queue, so concurrent requests cannot both pass.
function requireNamespaceIn(state: SandboxState, namespace: string): void {
  if (!findNamespace(state, namespace)) throw httpError(404, `namespace ${namespace} not found`);
}

function requireFunctionIn(state: SandboxState, name: string, namespace: string): FunctionRecord {
  const existing = findFunction(state, name, namespace);
  if (!existing) throw httpError(404, `function ${name} not found in namespace ${namespace}`);
  return existing;
}

function isNameOrDefault(value: unknown): string {
  if (value === undefined || value === "" || value === null) return "openfaas-fn";
  return requireName(value, "namespace");
}

function runnableMessage(ctx: GatewayContext, d: FunctionDeployment): string {
  return ctx.runner.isRunnable(d.image)
    ? `function ${d.service} deployed to namespace ${d.namespace}`
    : `function ${d.service} recorded in namespace ${d.namespace}; image ${d.image} is not built by a node-ts-iam function of the stack, so invocations answer 503`;
}
