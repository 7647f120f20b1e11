/** Namespace management (`/system/namespaces`, `/system/namespace/…`; commercial editions). */
import { InvalidArgumentError } from "./errors.js";
import { requireLabel } from "./names.js";
import type { CallOptions, Pipeline } from "./request.js";
import type { NamespaceInfo } from "./types.js";
import { expectObject, expectStrings, fields, optional, parseJsonBody, str } from "./validate.js";

const NAMESPACE_FIELDS = fields({ labels: "map", annotations: "map" });

/** @internal */
export async function getNamespaces(p: Pipeline, options?: CallOptions): Promise<string[]> {
  const res = await p.call({ method: "GET", path: "/system/namespaces", auth: "client" }, options);
  return expectStrings(parseJsonBody(res), res, "namespaces");
}

/** @internal */
export async function getNamespace(p: Pipeline, name: string, options?: CallOptions): Promise<NamespaceInfo> {
  const ns = requireLabel(name, "namespace");
  const res = await p.call({ method: "GET", path: `/system/namespace/${ns}`, auth: "client" }, options);
  const obj = expectObject(parseJsonBody(res), res, "namespace");
  str(obj, "name", res, "namespace");
  optional(obj, NAMESPACE_FIELDS, res, "namespace");
  const info: NamespaceInfo = { name: obj.name as string };
  if (obj.labels) info.labels = obj.labels as Record<string, string>;
  if (obj.annotations) info.annotations = obj.annotations as Record<string, string>;
  return info;
}

function namespaceBody(info: NamespaceInfo): NamespaceInfo {
  if (typeof info !== "object" || info === null) throw new InvalidArgumentError("namespace must be an object");
  const name = requireLabel(info.name, "namespace");
  for (const key of ["labels", "annotations"] as const) {
    const map = info[key];
    if (map !== undefined && (typeof map !== "object" || map === null || Object.values(map).some((v) => typeof v !== "string"))) {
      throw new InvalidArgumentError(`namespace ${key} must map strings to strings`);
    }
  }
  return { name, labels: info.labels ?? {}, annotations: info.annotations ?? {} };
}

/** @internal */
export async function createNamespace(p: Pipeline, info: NamespaceInfo, options?: CallOptions): Promise<number> {
  // The trailing slash is required by the gateway.
  return (await p.call({ method: "POST", path: "/system/namespace/", json: namespaceBody(info), auth: "client" }, options)).status;
}

/** @internal */
export async function updateNamespace(p: Pipeline, info: NamespaceInfo, options?: CallOptions): Promise<number> {
  const body = namespaceBody(info);
  return (await p.call({ method: "PUT", path: `/system/namespace/${body.name}`, json: body, auth: "client" }, options)).status;
}

/** @internal */
export async function deleteNamespace(p: Pipeline, name: string, options?: CallOptions): Promise<void> {
  const ns = requireLabel(name, "namespace");
  await p.call({ method: "DELETE", path: `/system/namespace/${ns}`, json: { name: ns }, auth: "client" }, options);
}
