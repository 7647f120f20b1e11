import type { Secret } from "@node-ts-iam/sdk";
import { ApiError, json, jsonBody, onlyKeys, requireName, type JsonObject, type Route } from "@node-ts-iam/sdk/kit";
import type { RouteContext } from "./context.js";
import type { ErrorCode } from "./errors.js";

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const MAX_SECRET_BYTES = 512 * 1024;

/**
 * `GET|POST /namespaces/{ns}/secrets` and `PUT|DELETE /namespaces/{ns}/secrets/{name}`. Values go
 * in (`value` text or `rawValue` base64) and never come out: a listing names secrets only.
 */
export function secretRoutes(context: RouteContext): Route[] {
  return [
    {
      pattern: "/namespaces/:namespace/secrets",
      methods: {
        GET: async (_req, params) => {
          const namespace = context.namespaceOf(params);
          const secrets = await context.gateway().getSecrets(namespace);
          return json(200, { namespace, secrets: secrets.map((s) => ({ name: s.name })) });
        },
        POST: async (req, params) => {
          const namespace = context.namespaceOf(params);
          const body = jsonBody(req);
          onlyKeys(body, ["name", "value", "rawValue"]);
          const name = requireName(typeof body["name"] === "string" ? body["name"] : undefined, "secret name");
          await context.gateway().createSecret({ name, namespace, ...secretValue(body) });
          return json(201, { name, namespace, action: "created" });
        },
      },
    },
    {
      pattern: "/namespaces/:namespace/secrets/:name",
      methods: {
        PUT: async (req, params) => {
          const namespace = context.namespaceOf(params);
          const name = requireName(params["name"], "secret name");
          const body = jsonBody(req);
          onlyKeys(body, ["value", "rawValue"]);
          await context.gateway().updateSecret({ name, namespace, ...secretValue(body) });
          return json(200, { name, namespace, action: "updated" });
        },
        DELETE: async (_req, params) => {
          const namespace = context.namespaceOf(params);
          const name = requireName(params["name"], "secret name");
          await context.gateway().deleteSecret(name, namespace);
          return json(200, { name, namespace, action: "deleted" });
        },
      },
    },
  ];
}

/** Exactly one of `value` (text) and `rawValue` (base64), at most 512 KiB either way. */
function secretValue(body: JsonObject): Pick<Secret, "value" | "rawValue"> {
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
}
