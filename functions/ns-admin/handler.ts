/**
 * ns-admin: a namespace-scoped OpenFaaS admin API for one team. It calls the gateway with the
 * function's own identity (its projected service account token, exchanged by `gatewayClient()`),
 * and refuses any namespace outside `ALLOWED_NAMESPACES` before calling the gateway.
 *
 * Settings (src/settings.ts): `ALLOWED_NAMESPACES` (names and `prefix-*` patterns; `*` = guard off,
 * leaving only the gateway's IAM policy), `MAX_REPLICAS` (default 20),
 * `ALLOW_SERVICEACCOUNT_ANNOTATION` (`true` lets deployments pick a service account; default off).
 */
import { gatewayClient } from "@node-ts-iam/sdk";
import { serveApi } from "@node-ts-iam/sdk/kit";
import { createNsAdmin, errorAnswers } from "./src/app.js";
import { readSettings } from "./src/settings.js";

// Read once, when the function loads: a bad ALLOWED_NAMESPACES stops it loading (fail closed).
export default serveApi(createNsAdmin({ gateway: gatewayClient, ...readSettings() }), errorAnswers);
