/**
 * preview-janitor: removes expired preview functions. Scheduled by the cron-connector (annotations
 * `topic: cron-function`, `schedule`); it acts with its own identity (`gatewayClient()`), whose
 * IAM policy allows only listing and deleting functions in the namespaces it sweeps.
 *
 * A function is a preview when it has label `node-ts-iam.dev/preview: "true"`; it expires at its
 * annotation `node-ts-iam.dev/expires-at` (RFC 3339). Settings (src/settings.ts):
 * `JANITOR_NAMESPACES` (names).
 */
import { gatewayClient } from "@node-ts-iam/sdk";
import { serveApi } from "@node-ts-iam/sdk/kit";
import { createJanitor, errorAnswers } from "./src/app.js";
import { readSettings } from "./src/settings.js";

// Read once, when the function loads: without namespaces to sweep it does not load.
export default serveApi(createJanitor({ gateway: gatewayClient, ...readSettings() }), errorAnswers);
