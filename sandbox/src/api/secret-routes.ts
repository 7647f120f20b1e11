import { readJsonObject } from "../http/body.js";
import { httpError } from "../http/errors.js";
import { sendJson } from "../http/respond.js";
import type { Router } from "../http/router.js";
import { SecretDescriptionSchema, SecretSchema } from "../schema/api-schemas.js";
import { findNamespace, findSecret } from "../state/state-store.js";
import { authenticate, requireAllowed } from "./authorization.js";
import type { GatewayContext } from "./context.js";
import { checkBody, existingNamespace, namespaceParam, requireName } from "./request-checks.js";

/** Secret resources are `<ns>:*` (inferred): secrets belong to a namespace, not to one function. */
const secretResource = (namespace: string): string => `${namespace}:*`;

/**
 * The value of a `Secret` body as bytes. faas-cli `secret create --from-file` (and the Go SDK) send
 * both `value` (the text, trimmed) and `rawValue` (the file's bytes, base64); faas-netes then stores
 * `rawValue`, so it wins here too. One of them is required.
 */
function secretBytes(body: Record<string, unknown>): Buffer {
  if (body["rawValue"] !== undefined) return Buffer.from(String(body["rawValue"]), "base64");
  if (body["value"] !== undefined) return Buffer.from(String(body["value"]), "utf8");
  throw httpError(400, "give value (text) or rawValue (base64)", { field: "value" });
}

/** `GET|POST|PUT|DELETE /system/secrets`; values are stored, never returned. */
export function registerSecretRoutes(router: Router, ctx: GatewayContext): void {
  router.on("GET", "/system/secrets", async (req, res, _p, url) => {
    const caller = await authenticate(req, ctx);
    const namespace = namespaceParam(url.searchParams.get("namespace") ?? undefined);
    requireAllowed(ctx, caller, "Secret:List", secretResource(namespace));
    existingNamespace(ctx.store, namespace);
    sendJson(res, 200, ctx.store.secrets.filter((s) => s.namespace === namespace).map((s) => ({ name: s.name, namespace: s.namespace })));
  });

  for (const method of ["POST", "PUT"] as const) {
    router.on(method, "/system/secrets", async (req, res) => {
      const caller = await authenticate(req, ctx);
      const body = await readJsonObject(req);
      checkBody(body, SecretSchema, "secret");
      const name = requireName(body["name"], "name");
      const namespace = namespaceParam(body["namespace"]);
      requireAllowed(ctx, caller, method === "POST" ? "Secret:Create" : "Secret:Update", secretResource(namespace));
      existingNamespace(ctx.store, namespace);
      const bytes = secretBytes(body);
      // Checked on the store's draft, inside its write queue, so concurrent requests cannot both pass.
      await ctx.store.mutate((s) => {
        if (!findNamespace(s, namespace)) throw httpError(404, `namespace ${namespace} not found`);
        const exists = findSecret(s, name, namespace) !== undefined;
        if (method === "POST" && exists) throw httpError(409, `secret ${name} already exists in namespace ${namespace}`);
        if (method === "PUT" && !exists) throw httpError(404, `secret ${name} not found in namespace ${namespace}`);
        s.secrets = s.secrets.filter((x) => !(x.name === name && x.namespace === namespace));
        s.secrets.push({ name, namespace, valueBase64: bytes.toString("base64") });
      });
      await ctx.runner.refreshSecret(namespace, name);
      sendJson(res, 202, { name, namespace });
    });
  }

  router.on("DELETE", "/system/secrets", async (req, res) => {
    const caller = await authenticate(req, ctx);
    const body = await readJsonObject(req);
    checkBody(body, SecretDescriptionSchema, "secret");
    const name = requireName(body["name"], "name");
    const namespace = namespaceParam(body["namespace"]);
    requireAllowed(ctx, caller, "Secret:Delete", secretResource(namespace));
    existingNamespace(ctx.store, namespace);
    await ctx.store.mutate((s) => {
      if (!findSecret(s, name, namespace)) throw httpError(404, `secret ${name} not found in namespace ${namespace}`);
      s.secrets = s.secrets.filter((x) => !(x.name === name && x.namespace === namespace));
    });
    await ctx.runner.refreshSecret(namespace, name);
    sendJson(res, 202, { name, namespace });
  });
}
