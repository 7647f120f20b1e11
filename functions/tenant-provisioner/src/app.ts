import { ApiError, createRouter, fromGatewayError, json, jsonBody, type Api, type ApiRequest, type ErrorAnswerOptions } from "@node-ts-iam/sdk/kit";
import type { ErrorCode } from "./errors.js";
import type { ProvisionerGateway } from "./gateway.js";
import { deprovision, getNamespace, isManaged, provision, ReconcileError } from "./reconcile.js";
import { planTenant, TENANT_PREFIX, tenantName, type ProvisionerConfig } from "./tenant.js";

/** The test-only fault header, honoured only when `faultInjection` is on. */
export const FAULT_HEADER = "x-fault-after-steps";

/** Settings and collaborators of the provisioner API. */
export interface ProvisionerOptions {
  /** The gateway client; called per request so the real client is created lazily. */
  gateway: () => ProvisionerGateway;
  /** What every tenant gets. */
  config: ProvisionerConfig;
  /**
   * Test-only: honour the `X-Fault-After-Steps: N` header, which stops a `POST /tenants` or
   * `DELETE /tenants/<name>` with 503 `INJECTED_FAULT` once N objects were handled (to prove that a
   * later call completes the job).
   */
  faultInjection?: boolean;
}

/**
 * How the provisioner's errors are answered: the kit's mapping, plus the report of what was done
 * before a failure part-way; logged as `tenant-provisioner`.
 */
export const errorAnswers: ErrorAnswerOptions = { service: "tenant-provisioner", toApiError };

/**
 * Creates the provisioner API: its router. It throws its errors; `serveApi(api, errorAnswers)`
 * (handler.ts) answers them.
 */
export function createProvisioner(options: ProvisionerOptions): Api {
  const gw = (): ProvisionerGateway => options.gateway();

  const faultAfter = (request: ApiRequest): number | undefined => {
    const raw = request.headers[FAULT_HEADER];
    if (!options.faultInjection || raw === undefined) return undefined;
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value === undefined || !/^\d{1,4}$/.test(value)) throw new ApiError<ErrorCode>(400, "INVALID_QUERY", `${FAULT_HEADER} must be a small integer`);
    return Number(value);
  };

  return createRouter([
    {
      pattern: "/",
      methods: {
        GET: async () =>
          json(200, { service: "tenant-provisioner", routes: ["GET /tenants", "POST /tenants", "GET /tenants/{name}", "DELETE /tenants/{name}"] }),
      },
    },
    {
      pattern: "/tenants",
      methods: {
        GET: async () => {
          const candidates = (await gw().getNamespaces()).filter((ns) => ns.startsWith(TENANT_PREFIX)).sort();
          const tenants: { name: string; namespace: string }[] = [];
          for (const namespace of candidates) {
            const info = await getNamespace(gw(), namespace);
            if (info && isManaged(info)) tenants.push({ name: namespace.slice(TENANT_PREFIX.length), namespace });
          }
          return json(200, { tenants });
        },
        POST: async (request) => {
          const plan = planTenant(jsonBody(request), options.config);
          const report = await provision(gw(), plan, { faultAfterSteps: faultAfter(request) });
          const created = report.actions.some((a) => a.outcome === "created");
          return json(created ? 201 : 200, report);
        },
      },
    },
    {
      pattern: "/tenants/:name",
      methods: {
        GET: async (_request, params) => {
          const tenant = tenantName(params["name"]);
          const namespace = TENANT_PREFIX + tenant;
          const info = await getNamespace(gw(), namespace);
          if (!info || !isManaged(info, tenant)) throw new ApiError<ErrorCode>(404, "TENANT_NOT_FOUND", `tenant "${tenant}" does not exist`, { tenant });
          const [functions, secrets] = [await gw().getFunctions(namespace), await gw().getSecrets(namespace)];
          return json(200, {
            tenant,
            namespace,
            labels: info.labels ?? {},
            annotations: info.annotations ?? {},
            functions: functions.map((f) => ({ name: f.name, image: f.image })).sort((a, b) => a.name.localeCompare(b.name)),
            secrets: secrets.map((s) => s.name).sort(),
          });
        },
        DELETE: async (request, params) => json(200, await deprovision(gw(), tenantName(params["name"]), { faultAfterSteps: faultAfter(request) })),
      },
    },
  ]);
}

/** A failure part-way answers as its cause would, plus the report of what was done before it. */
function toApiError(error: unknown): ApiError {
  if (!(error instanceof ReconcileError)) return fromGatewayError(error);
  const apiError = fromGatewayError(error.cause);
  return new ApiError(apiError.status, apiError.code, apiError.message, { ...apiError.details, report: error.report }, { ...apiError.headers });
}
