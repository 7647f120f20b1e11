import type { Params } from "@node-ts-iam/sdk/kit";
import type { NsAdminGateway } from "./gateway.js";

/** What each of ns-admin's route modules (namespaces, functions, logs, secrets) is built with. */
export interface RouteContext {
  /** The gateway client; called per request so that the real client is created on first use. */
  gateway(): NsAdminGateway;
  /**
   * The `:namespace` path parameter, validated and inside the scope: 400 `INVALID_NAME` or 403
   * `NAMESPACE_NOT_ALLOWED` otherwise, always before any gateway call.
   */
  namespaceOf(params: Params): string;
}
