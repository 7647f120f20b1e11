/**
 * tenant-provisioner: `POST /tenants` converges a tenant (namespace `tenant-<name>`, generated
 * secrets, starter functions) and reports what it did; `GET /tenants`, `GET|DELETE /tenants/<name>`.
 * It calls the gateway with its own identity (`gatewayClient()`); its IAM policy covers only
 * `tenant-*:*`, so it cannot touch any other namespace even if asked to.
 *
 * Settings (src/settings.ts): `STARTER_FUNCTIONS` (`name=image,...`, default
 * `hello=ghcr.io/openfaas/nodeinfo:latest`), `TENANT_SECRETS` (`name,...`, default `tenant-api-key`),
 * and test-only `TENANT_PROVISIONER_FAULTS=enabled` (honours the `X-Fault-After-Steps` header; never
 * in production).
 */
import { gatewayClient } from "@node-ts-iam/sdk";
import { serveApi } from "@node-ts-iam/sdk/kit";
import { createProvisioner, errorAnswers } from "./src/app.js";
import { readSettings } from "./src/settings.js";

// Read once, when the function loads: a malformed setting stops it loading.
export default serveApi(createProvisioner({ gateway: gatewayClient, ...readSettings() }), errorAnswers);
