import { ApiError, fromGatewayError } from "./errors.js";
import type { ProvisionerGateway } from "./gateway.js";
import { json, type ApiRequest, type ApiResponse } from "./http.js";
import { deprovision, getNamespace, isManaged, provision, ReconcileError } from "./reconcile.js";
import { createRouter } from "./router.js";
import { planTenant, TENANT_PREFIX, tenantName, type ProvisionerConfig } from "./tenant.js";
import { jsonBody } from "./validate.js";

/** The test-only fault header, honoured only when `faultInjection` is on. */
export const FAULT_HEADER = "x-fault-after-steps";

/** Settings and collaborators of the provisioner API. */
export interface ProvisionerOptions {
  /** The gateway client; called per request so the real client is created lazily. */
  gateway: () => ProvisionerGateway;
  config: ProvisionerConfig;
  /**
   * Test-only: honour the `X-Fault-After-Steps: N` header, which stops a `POST /tenants` or
   * `DELETE /tenants/<name>` with 503 `INJECTED_FAULT` once N objects were handled (to prove that a
   * later call completes the job).
   */
  faultInjection?: boolean;
}

/** Creates the provisioner API: `(request) => response`, never throwing. */
export function createProvisioner(options: ProvisionerOptions): (request: ApiRequest) => Promise<ApiResponse> {
  const gw = (): ProvisionerGateway => options.gateway();

  const faultAfter = (request: ApiRequest): number | undefined => {
    const raw = request.headers[FAULT_HEADER];
    if (!options.faultInjection || raw === undefined) return undefined;
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value === undefined || !/^\d{1,4}$/.test(value)) throw new ApiError(400, "INVALID_QUERY", `${FAULT_HEADER} must be a small integer`);
    return Number(value);
  };

  const route = createRouter([
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
          if (!info || !isManaged(info, tenant)) throw new ApiError(404, "TENANT_NOT_FOUND", `tenant "${tenant}" does not exist`, { tenant });
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

  return async (request) => {
    try {
      return await route(request);
    } catch (error) {
      const cause = error instanceof ReconcileError ? error.cause : error;
      const apiError = fromGatewayError(cause);
      if (apiError.status >= 500) logFailure(request, apiError, cause);
      const response = apiError.toResponse();
      if (!(error instanceof ReconcileError)) return response;
      return json(apiError.status, { ...(response.body as object), report: error.report }, apiError.headers);
    }
  };
}

/** One stderr line per server-side failure: route and code only, never bodies or tokens. */
function logFailure(request: ApiRequest, apiError: ApiError, cause: unknown): void {
  const causeCode = typeof (cause as { code?: unknown })?.code === "string" ? (cause as { code: string }).code : "unknown";
  process.stderr.write(
    `tenant-provisioner: ${request.method} ${request.path.slice(0, 200)} -> ${apiError.status} ${apiError.code} (cause ${causeCode})\n`,
  );
}
