/** `GET /system/info`. */
import type { CallOptions, Pipeline } from "./request.js";
import type { GatewayInfo } from "./types.js";
import { expectObject, fields, optional, parseJsonBody, str, type Where } from "./validate.js";

const VERSION_FIELDS = fields({ sha: "string", release: "string", commit_message: "string" });
const PROVIDER_FIELDS = fields({ provider: "string", orchestration: "string" });

function checkVersion(value: unknown, where: Where, what: string): void {
  if (value === null || value === undefined) return;
  const obj = expectObject(value, where, what);
  optional(obj, VERSION_FIELDS, where, what);
}

/** @internal */
export async function getInfo(p: Pipeline, options?: CallOptions): Promise<GatewayInfo> {
  const res = await p.call({ method: "GET", path: "/system/info", auth: "client" }, options);
  const obj = expectObject(parseJsonBody(res), res, "info");
  str(obj, "arch", res, "info");
  checkVersion(obj.version, res, "info.version");
  if (obj.provider !== null && obj.provider !== undefined) {
    const provider = expectObject(obj.provider, res, "info.provider");
    optional(provider, PROVIDER_FIELDS, res, "info.provider");
    checkVersion(provider.version, res, "info.provider.version");
  }
  return { ...obj, provider: (obj.provider ?? null) as GatewayInfo["provider"], version: (obj.version ?? null) as GatewayInfo["version"] } as GatewayInfo;
}
