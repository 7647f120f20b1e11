import { isDnsLabel } from "@node-ts-iam/sdk/kit";
import type { ProvisionerConfig } from "./tenant.js";

/** tenant-provisioner's settings: read once from the environment, when the function loads. */
export interface ProvisionerSettings {
  /** `STARTER_FUNCTIONS` (`name=image,...`) and `TENANT_SECRETS` (`name,...`): what every tenant gets. */
  config: ProvisionerConfig;
  /** `TENANT_PROVISIONER_FAULTS=enabled` (tests only): honour the `X-Fault-After-Steps` header. */
  faultInjection: boolean;
}

/**
 * Reads the settings. A malformed value throws, naming the variable, so that a misconfigured
 * function fails to load instead of provisioning the wrong thing.
 */
export function readSettings(env: Readonly<Record<string, string | undefined>> = process.env): ProvisionerSettings {
  const starterFunctions = list(env["STARTER_FUNCTIONS"] ?? "hello=ghcr.io/openfaas/nodeinfo:latest").map((entry) => {
    const [name, image, ...rest] = entry.split("=");
    if (!isDnsLabel(name) || !image || /\s/.test(image) || rest.length > 0) {
      throw new Error(`STARTER_FUNCTIONS: "${entry}" is not name=image`);
    }
    return { name, image };
  });
  const secretNames = list(env["TENANT_SECRETS"] ?? "tenant-api-key");
  for (const name of secretNames) if (!isDnsLabel(name)) throw new Error(`TENANT_SECRETS: "${name}" is not an RFC 1123 name`);
  return { config: { starterFunctions, secretNames }, faultInjection: env["TENANT_PROVISIONER_FAULTS"] === "enabled" };
}

function list(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}
