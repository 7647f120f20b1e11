import { readJsonObject } from "../http/body.js";
import { httpError } from "../http/errors.js";
import { sendJson } from "../http/respond.js";
import type { Router } from "../http/router.js";
import type { NamespaceRecord, SandboxState } from "../state/model.js";
import { findNamespace, managedNamespace } from "../state/state-store.js";
import { NamespaceRequestSchema } from "../schema/api-schemas.js";
import { authenticate, isAllowed, requireAllowed } from "./authorization.js";
import type { GatewayContext } from "./context.js";
import { checkAnnotations, checkLabels } from "./object-metadata.js";
import { checkBody, requireName } from "./request-checks.js";

/** Namespace resources are `<ns>:*` (inferred), so `tenant-*:*` can manage every `tenant-` namespace. */
export const namespaceResource = (name: string): string => `${name}:*`;

/** `GET /system/namespaces`, `GET|PUT|DELETE /system/namespace/{n}`, `POST /system/namespace/` (namespace management: https://docs.openfaas.com/reference/namespaces/). */
export function registerNamespaceRoutes(router: Router, ctx: GatewayContext): void {
  router.on("GET", "/system/namespaces", async (req, res) => {
    const caller = await authenticate(req, ctx);
    // Only the namespaces the caller may list are shown (one audited decision each).
    const visible = ctx.store.namespaces.map((n) => n.name).filter((n) => isAllowed(ctx, caller, "Namespace:List", namespaceResource(n)));
    sendJson(res, 200, visible.sort());
  });

  router.on("GET", "/system/namespace/:name", async (req, res, params) => {
    const caller = await authenticate(req, ctx);
    const name = requireName(params["name"], "namespace name");
    requireAllowed(ctx, caller, "Namespace:Get", namespaceResource(name));
    const ns = ctx.store.namespace(name);
    if (!ns) throw httpError(404, `namespace ${name} not found`);
    sendJson(res, 200, { name: ns.name, labels: ns.labels, annotations: ns.annotations });
  });

  router.on("POST", "/system/namespace/", async (req, res) => {
    const caller = await authenticate(req, ctx);
    const body = await readJsonObject(req);
    checkBody(body, NamespaceRequestSchema, "namespace");
    checkMetadata(body);
    const name = requireName(body["name"], "name");
    requireAllowed(ctx, caller, "Namespace:Create", namespaceResource(name));
    const created = managedNamespace(name, body["labels"] as Record<string, string> | null, body["annotations"] as Record<string, string> | null);
    // Checked on the store's draft, inside its write queue, so concurrent requests cannot both pass.
    await ctx.store.mutate((s) => {
      if (findNamespace(s, name)) throw httpError(409, `namespace ${name} already exists`);
      s.namespaces.push(created);
    });
    sendJson(res, 201, created);
  });

  router.on("POST", "/system/namespace", () => {
    throw httpError(404, "create a namespace with POST /system/namespace/ (the trailing slash is required)");
  });

  router.on("PUT", "/system/namespace/:name", async (req, res, params) => {
    const caller = await authenticate(req, ctx);
    const name = requireName(params["name"], "namespace name");
    const body = await readJsonObject(req);
    checkBody(body, NamespaceRequestSchema, "namespace");
    checkMetadata(body);
    if (body["name"] !== name) throw httpError(400, `body name "${String(body["name"]).slice(0, 63)}" does not match the path (${name})`, { field: "name" });
    requireAllowed(ctx, caller, "Namespace:Update", namespaceResource(name));
    const updated = managedNamespace(name, body["labels"] as Record<string, string> | null, body["annotations"] as Record<string, string> | null);
    await ctx.store.mutate((s) => {
      const ns = requireNamespaceIn(s, name);
      ns.labels = updated.labels;
      ns.annotations = updated.annotations;
    });
    sendJson(res, 202, updated);
  });

  router.on("DELETE", "/system/namespace/:name", async (req, res, params) => {
    const caller = await authenticate(req, ctx);
    const name = requireName(params["name"], "namespace name");
    const length = Number(req.headers["content-length"] ?? 0);
    if (length > 0 || req.headers["transfer-encoding"]) {
      const body = await readJsonObject(req);
      if (body["name"] !== undefined && body["name"] !== name) throw httpError(400, `body name does not match the path (${name})`, { field: "name" });
    }
    requireAllowed(ctx, caller, "Namespace:Delete", namespaceResource(name));
    // Like Kubernetes, deleting a namespace deletes what is in it.
    let removed: string[] = [];
    await ctx.store.mutate((s) => {
      requireNamespaceIn(s, name);
      removed = s.functions.filter((f) => f.deployment.namespace === name).map((f) => f.deployment.service);
      s.namespaces = s.namespaces.filter((n) => n.name !== name);
      s.functions = s.functions.filter((f) => f.deployment.namespace !== name);
      s.secrets = s.secrets.filter((x) => x.namespace !== name);
    });
    for (const fn of removed) {
      await ctx.runner.stop(name, fn);
      ctx.logs.forget(name, fn);
    }
    sendJson(res, 202, { name });
  });
}

/** A namespace's labels and annotations as Kubernetes checks them (the schema capped their number and values). */
function checkMetadata(body: Record<string, unknown>): void {
  checkLabels((body["labels"] as Record<string, string> | null | undefined) ?? {});
  checkAnnotations((body["annotations"] as Record<string, string> | null | undefined) ?? {});
}

function requireNamespaceIn(state: SandboxState, name: string): NamespaceRecord {
  const ns = findNamespace(state, name);
  if (!ns) throw httpError(404, `namespace ${name} not found`);
  return ns;
}
