import { ApiError, createRouter, json, requireName, type Api, type ErrorAnswerOptions, type Params } from "@node-ts-iam/sdk/kit";
import type { RouteContext } from "./context.js";
import type { ErrorCode } from "./errors.js";
import { functionRoutes } from "./functions.js";
import type { NsAdminGateway } from "./gateway.js";
import { logRoutes } from "./logs.js";
import { namespaceRoutes } from "./namespaces.js";
import type { NamespaceScope } from "./scope.js";
import { secretRoutes } from "./secrets.js";

/** Settings and collaborators of the ns-admin API. */
export interface NsAdminOptions {
  /** The gateway client; called per request so the real client is created lazily. */
  gateway: () => NsAdminGateway;
  /** Which namespaces requests may name. */
  scope: NamespaceScope;
  /** Upper bound for `replicas` in a scale request (default 20). */
  maxReplicas?: number;
  /**
   * Whether deployments may set `com.openfaas.serviceaccount` (default false): a team that can pick
   * any service account of its namespace could borrow that account's IAM roles.
   */
  allowServiceAccountAnnotation?: boolean;
  /** How long a log tail may take before the lines read so far are returned (default 5,000 ms). */
  logTimeoutMs?: number;
}

/** How ns-admin's errors are answered: the kit's mapping, logged as `ns-admin`. */
export const errorAnswers: ErrorAnswerOptions = { service: "ns-admin" };

/**
 * Creates the ns-admin API: the router of its namespace, function, log and secret routes. Every
 * request naming a namespace is checked against the scope before the gateway is called. It throws
 * its errors; `serveApi(api, errorAnswers)` (handler.ts) answers them.
 */
export function createNsAdmin(options: NsAdminOptions): Api {
  const { scope } = options;
  const context: RouteContext = {
    gateway: options.gateway,
    namespaceOf: (params: Params): string => {
      const namespace = requireName(params["namespace"], "namespace");
      if (!scope.allows(namespace)) {
        throw new ApiError<ErrorCode>(403, "NAMESPACE_NOT_ALLOWED", `namespace "${namespace}" is outside this function's scope`, {
          namespace,
          allowed: scope.entries,
        });
      }
      return namespace;
    },
  };
  return createRouter([
    {
      pattern: "/",
      methods: {
        GET: async () =>
          json(200, {
            service: "ns-admin",
            scope: scope.unrestricted ? "*" : scope.entries,
            routes: [
              "GET /namespaces",
              "GET /namespaces/{namespace}/functions",
              "GET|PUT|DELETE /namespaces/{namespace}/functions/{name}",
              "POST /namespaces/{namespace}/functions/{name}/scale",
              "GET /namespaces/{namespace}/functions/{name}/logs?tail=&since=",
              "GET|POST /namespaces/{namespace}/secrets",
              "PUT|DELETE /namespaces/{namespace}/secrets/{name}",
            ],
          }),
      },
    },
    ...namespaceRoutes(context, scope),
    ...functionRoutes(context, {
      maxReplicas: options.maxReplicas ?? 20,
      allowServiceAccountAnnotation: options.allowServiceAccountAnnotation ?? false,
    }),
    ...logRoutes(context, options.logTimeoutMs ?? 5_000),
    ...secretRoutes(context),
  ]);
}
