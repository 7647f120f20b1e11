import { httpError } from "../http/errors.js";
import { firstReservedVariable } from "../runner/pod-environment.js";
import { DEPLOYMENT_CAPS, FunctionDeploymentSchema } from "../schema/api-schemas.js";
import { shortKey } from "../schema/structural-schema.js";
import type { FunctionDeployment, FunctionResources } from "../state/model.js";
import { DEFAULT_FUNCTION_NAMESPACE } from "../state/state-store.js";
import { checkAnnotations, checkLabels } from "./object-metadata.js";
import { checkBody, requireName } from "./request-checks.js";

/** A Kubernetes resource quantity (`128Mi`, `0.5`, `100m`, `1e3`), as faas-netes parses `limits`/`requests`. */
const QUANTITY = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/;
/** Kubernetes' environment variable names: printable ASCII except `=` (a NUL or `=` would break the process environment). */
const ENV_NAME = /^[\x20-\x3C\x3E-\x7E]{1,256}$/;
/** Whitespace or control characters: no image reference holds one. */
const SPACE_OR_CONTROL = /[\s\x00-\x1F\x7F]/;

/**
 * Validates a `FunctionDeployment` body (POST or PUT) and returns only the fields the sandbox
 * stores, so no unknown or oversized input reaches `state.json`: the spec's shape with the size
 * caps of {@link DEPLOYMENT_CAPS}, then what Kubernetes (via faas-netes) would refuse, then the
 * sandbox's own rule for variables a host process must not take from a deployment. Throws a 400
 * `HttpError` whose `field` names the offending field (`envVars.NODE_OPTIONS`, `limits.memory`).
 * The body's nesting depth was already capped when it was read.
 */
export function validateDeployment(body: Record<string, unknown>): FunctionDeployment {
  checkBody(body, FunctionDeploymentSchema, "function deployment");
  const service = requireName(body["service"], "service");
  const namespace = body["namespace"] === undefined || body["namespace"] === "" ? DEFAULT_FUNCTION_NAMESPACE : requireName(body["namespace"], "namespace");
  const image = String(body["image"]).trim();
  if (image === "") throw httpError(400, "image must not be empty", { field: "image" });
  if (SPACE_OR_CONTROL.test(image)) throw httpError(400, "image must not contain whitespace or control characters", { field: "image" });
  const envProcess = body["envProcess"] as string | undefined;
  if (envProcess !== undefined && envProcess.includes("\0")) throw httpError(400, "envProcess must not contain NUL", { field: "envProcess" });

  const envVars = { ...((body["envVars"] as Record<string, string> | undefined) ?? {}) };
  for (const [name, value] of Object.entries(envVars)) {
    const field = `envVars.${shortKey(name)}`;
    if (!ENV_NAME.test(name)) throw httpError(400, `environment variable name ${shortKey(name)} is not valid: use printable ASCII without '=' (at most 256 characters)`, { field });
    if (value.includes("\0")) throw httpError(400, `environment variable ${name} must not contain NUL`, { field });
  }
  const reserved = firstReservedVariable(envVars);
  if (reserved) throw httpError(400, `environment variable ${reserved.name} is not allowed in the sandbox: ${reserved.reason}`, { field: `envVars.${reserved.name}` });

  const secrets = [...((body["secrets"] as string[] | undefined) ?? [])];
  secrets.forEach((s, i) => requireName(s, `secrets[${i}]`));
  const constraints = [...((body["constraints"] as string[] | undefined) ?? [])];
  const labels = { ...((body["labels"] as Record<string, string> | null | undefined) ?? {}) };
  checkLabels(labels);
  const annotations = { ...((body["annotations"] as Record<string, string> | null | undefined) ?? {}) };
  checkAnnotations(annotations);
  const limits = resources(body["limits"], "limits");
  const requests = resources(body["requests"], "requests");
  return {
    service,
    image,
    namespace,
    ...(envProcess !== undefined && envProcess !== "" ? { envProcess } : {}),
    envVars,
    constraints,
    secrets,
    labels,
    annotations,
    ...(limits ? { limits } : {}),
    ...(requests ? { requests } : {}),
    ...(body["readOnlyRootFilesystem"] === true ? { readOnlyRootFilesystem: true } : {}),
  };
}

/** Copies the quantities of `limits`/`requests` (the schema allowed only known keys), checking each. */
function resources(value: unknown, field: "limits" | "requests"): FunctionResources | undefined {
  if (value === undefined || value === null) return undefined;
  const out: FunctionResources = {};
  for (const [key, quantity] of Object.entries(value as Record<string, string>)) {
    if (quantity === "") continue;
    if (!QUANTITY.test(quantity)) throw httpError(400, `${field}.${key} must be a Kubernetes quantity such as 128Mi, 0.5 or 100m`, { field: `${field}.${key}` });
    out[key as keyof FunctionResources] = quantity;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
