/**
 * tenant-provisioner: `POST /tenants` converges a tenant (namespace `tenant-<name>`, generated
 * secrets, starter functions) and reports what it did; `GET /tenants`, `GET|DELETE /tenants/<name>`.
 * It calls the gateway with its own identity (`gatewayClient()`); its IAM policy covers only
 * `tenant-*:*`, so it cannot touch any other namespace even if asked to.
 *
 * Environment: `STARTER_FUNCTIONS` (`name=image,...`, default `hello=ghcr.io/openfaas/nodeinfo:latest`),
 * `TENANT_SECRETS` (`name,...`, default `tenant-api-key`), and test-only
 * `TENANT_PROVISIONER_FAULTS=enabled` (honours the `X-Fault-After-Steps` header; never in production).
 */
import { gatewayClient, serveApi } from "@node-ts-iam/sdk";
import { createProvisioner } from "./src/app.js";
import { configFromEnv } from "./src/tenant.js";

const api = createProvisioner({
  gateway: gatewayClient,
  config: configFromEnv(process.env),
  faultInjection: process.env["TENANT_PROVISIONER_FAULTS"] === "enabled",
});

export default serveApi(api, { service: "tenant-provisioner" });
