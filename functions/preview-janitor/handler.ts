/**
 * preview-janitor: removes expired preview functions. Scheduled by the cron-connector (annotations
 * `topic: cron-function`, `schedule`); it acts with its own identity (`gatewayClient()`), whose
 * IAM policy allows only listing and deleting functions in the namespaces it sweeps.
 *
 * A function is a preview when it has label `node-ts-iam.dev/preview: "true"`; it expires at its
 * annotation `node-ts-iam.dev/expires-at` (RFC 3339). Environment: `JANITOR_NAMESPACES` (names).
 */
import { gatewayClient, serveApi } from "@node-ts-iam/sdk";
import { createJanitor, namespacesFromEnv } from "./src/app.js";

const api = createJanitor({ gateway: gatewayClient, namespaces: namespacesFromEnv(process.env["JANITOR_NAMESPACES"]) });

export default serveApi(api, { service: "preview-janitor" });
