/**
 * ns-admin: a namespace-scoped OpenFaaS admin API for one team. It calls the gateway with the
 * function's own identity (its projected service account token, exchanged by `gatewayClient()`),
 * and refuses any namespace outside `ALLOWED_NAMESPACES` before calling the gateway.
 *
 * Environment: `ALLOWED_NAMESPACES` (names and `prefix-*` patterns; `*` = guard off, leaving only
 * the gateway's IAM policy), `MAX_REPLICAS` (default 20), `ALLOW_SERVICEACCOUNT_ANNOTATION`
 * (`true` lets deployments pick a service account; default off).
 */
import { gatewayClient, serveApi } from "@node-ts-iam/sdk";
import { createNsAdmin } from "./src/app.js";
import { parseScope } from "./src/scope.js";

// Configuration is read once; a bad ALLOWED_NAMESPACES stops the function loading (fail closed).
const api = createNsAdmin({
  gateway: gatewayClient,
  scope: parseScope(process.env["ALLOWED_NAMESPACES"]),
  maxReplicas: positiveInt(process.env["MAX_REPLICAS"], 20),
  allowServiceAccountAnnotation: process.env["ALLOW_SERVICEACCOUNT_ANNOTATION"] === "true",
});

function positiveInt(value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a non-negative integer, got "${value}"`);
  return n;
}

export default serveApi(api, { service: "ns-admin" });
