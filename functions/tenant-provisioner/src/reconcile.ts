import { randomBytes } from "node:crypto";
import type { FunctionStatus, NamespaceInfo } from "@node-ts-iam/sdk";
import { ApiError, hasErrorCode } from "@node-ts-iam/sdk/kit";
import type { ErrorCode } from "./errors.js";
import type { ProvisionerGateway, TenantFunction } from "./gateway.js";
import { MANAGED_BY, MANAGED_BY_LABEL, TENANT_LABEL, TENANT_PREFIX, type TenantPlan } from "./tenant.js";

/** What happened to one object. */
export type Outcome = "created" | "updated" | "unchanged" | "deleted" | "absent";

/** One line of the report. */
export interface Action {
  kind: "namespace" | "secret" | "function";
  name: string;
  outcome: Outcome;
}

/** The report `POST`/`DELETE /tenants` answer with (also on failure, with `complete: false`). */
export interface Report {
  tenant: string;
  namespace: string;
  complete: boolean;
  actions: Action[];
}

/** A failure part-way, carrying the report of what was done before it. */
export class ReconcileError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly report: Report,
  ) {
    super("tenant reconcile stopped part-way");
    this.name = "ReconcileError";
  }
}

/** Options of one run. */
export interface RunOptions {
  /** Test-only fault: stop with `INJECTED_FAULT` once this many objects have been handled. */
  faultAfterSteps?: number | undefined;
}

/**
 * Converges a tenant to `plan`: namespace, then secrets, then functions, each read first and only
 * written when missing or different. A 409 from a create means another run (or a failed earlier
 * one) got there first: the object is re-read and compared, never created twice. So a repeat
 * reports everything `unchanged`, and a run after a failure finishes the job.
 */
export async function provision(gw: ProvisionerGateway, plan: TenantPlan, options: RunOptions = {}): Promise<Report> {
  return run(plan.tenant, plan.namespace, options, async (step) => {
    await step("namespace", plan.namespace, () => convergeNamespace(gw, plan));

    const existingSecrets = new Set((await gw.getSecrets(plan.namespace)).map((s) => s.name));
    for (const name of plan.secretNames) {
      await step("secret", name, async () => (existingSecrets.has(name) ? "unchanged" : createSecret(gw, plan.namespace, name)));
    }

    const existingFunctions = new Map((await gw.getFunctions(plan.namespace)).map((f) => [f.name, f]));
    for (const spec of plan.functions) {
      await step("function", spec.service, () => convergeFunction(gw, spec, existingFunctions.get(spec.service)));
    }
  });
}

/** Handles one object and records what happened to it. */
type Step = (kind: Action["kind"], name: string, work: () => Promise<Outcome>) => Promise<void>;

/**
 * One provision or deprovision run: `steps` handles each object through `step`, which records its
 * outcome and is also where the test-only fault strikes. A failure part-way is a
 * {@link ReconcileError} carrying the report so far.
 */
async function run(tenant: string, namespace: string, options: RunOptions, steps: (step: Step) => Promise<void>): Promise<Report> {
  const report: Report = { tenant, namespace, complete: false, actions: [] };
  const step: Step = async (kind, name, work) => {
    if (options.faultAfterSteps !== undefined && report.actions.length >= options.faultAfterSteps) {
      throw new ApiError<ErrorCode>(503, "INJECTED_FAULT", `fault injected after ${options.faultAfterSteps} step(s)`);
    }
    report.actions.push({ kind, name, outcome: await work() });
  };
  try {
    await steps(step);
  } catch (error) {
    throw new ReconcileError(error, report);
  }
  report.complete = true;
  return report;
}

async function convergeNamespace(gw: ProvisionerGateway, plan: TenantPlan): Promise<Outcome> {
  let current = await getNamespace(gw, plan.namespace);
  if (!current) {
    try {
      await gw.createNamespace({ name: plan.namespace, labels: plan.labels, annotations: plan.annotations });
      return "created";
    } catch (error) {
      if (!hasErrorCode(error, "ERR_CONFLICT")) throw error;
      current = await getNamespace(gw, plan.namespace);
      if (!current) throw error;
    }
  }
  assertManaged(current, plan.tenant);
  if (contains(current.labels, plan.labels) && contains(current.annotations, plan.annotations)) return "unchanged";
  await gw.updateNamespace({
    name: plan.namespace,
    labels: { ...current.labels, ...plan.labels },
    annotations: { ...current.annotations, ...plan.annotations },
  });
  return "updated";
}

async function createSecret(gw: ProvisionerGateway, namespace: string, name: string): Promise<Outcome> {
  try {
    // Generated credentials: a repeat must not rotate them under the tenant's running functions.
    await gw.createSecret({ name, namespace, value: randomBytes(32).toString("base64url") });
    return "created";
  } catch (error) {
    if (hasErrorCode(error, "ERR_CONFLICT")) return "unchanged";
    throw error;
  }
}

async function convergeFunction(gw: ProvisionerGateway, spec: TenantFunction, current: FunctionStatus | undefined): Promise<Outcome> {
  if (!current) {
    try {
      await gw.deploy(spec);
      return "created";
    } catch (error) {
      if (!hasErrorCode(error, "ERR_CONFLICT")) throw error;
      current = (await gw.getFunctions(spec.namespace)).find((f) => f.name === spec.service);
      if (!current) throw error;
    }
  }
  if (functionMatches(current, spec)) return "unchanged";
  await gw.update(spec);
  return "updated";
}

/** Compares what the gateway reports; fields it does not report are not held against it. */
function functionMatches(current: FunctionStatus, spec: TenantFunction): boolean {
  if (current.image !== spec.image) return false;
  if (!contains(current.labels ?? undefined, spec.labels ?? {})) return false;
  if (current.envVars && !contains(current.envVars, spec.envVars ?? {})) return false;
  if (current.secrets && [...current.secrets].sort().join(",") !== [...(spec.secrets ?? [])].sort().join(",")) return false;
  return true;
}

/**
 * Removes a tenant in a safe order: functions (so nothing keeps running on deleted secrets), then
 * secrets, then the namespace. Missing objects count as `absent`, so a repeat after a failure
 * finishes the job. A namespace without the provisioner's label is refused.
 */
export async function deprovision(gw: ProvisionerGateway, tenant: string, options: RunOptions = {}): Promise<Report> {
  const namespace = TENANT_PREFIX + tenant;
  const current = await getNamespace(gw, namespace);
  if (!current) throw new ApiError<ErrorCode>(404, "TENANT_NOT_FOUND", `tenant "${tenant}" does not exist`, { tenant });
  assertManaged(current, tenant);
  return run(tenant, namespace, options, async (step) => {
    for (const name of (await gw.getFunctions(namespace)).map((f) => f.name).sort()) {
      await step("function", name, () => removed(() => gw.deleteFunction(name, namespace)));
    }
    for (const name of (await gw.getSecrets(namespace)).map((s) => s.name).sort()) {
      await step("secret", name, () => removed(() => gw.deleteSecret(name, namespace)));
    }
    await step("namespace", namespace, () => removed(() => gw.deleteNamespace(namespace)));
  });
}

async function removed(remove: () => Promise<void>): Promise<Outcome> {
  try {
    await remove();
    return "deleted";
  } catch (error) {
    if (hasErrorCode(error, "ERR_NOT_FOUND")) return "absent";
    throw error;
  }
}

/** The namespace, or `undefined` when the gateway says 404. */
export async function getNamespace(gw: ProvisionerGateway, name: string): Promise<NamespaceInfo | undefined> {
  try {
    return await gw.getNamespace(name);
  } catch (error) {
    if (hasErrorCode(error, "ERR_NOT_FOUND")) return undefined;
    throw error;
  }
}

/** Whether the namespace carries this provisioner's labels for `tenant`. */
export function isManaged(ns: NamespaceInfo, tenant?: string): boolean {
  const labels = ns.labels ?? {};
  return labels[MANAGED_BY_LABEL] === MANAGED_BY && (tenant === undefined ? Boolean(labels[TENANT_LABEL]) : labels[TENANT_LABEL] === tenant);
}

function assertManaged(ns: NamespaceInfo, tenant: string): void {
  if (!isManaged(ns, tenant)) {
    throw new ApiError<ErrorCode>(409, "TENANT_NOT_MANAGED", `namespace "${ns.name}" exists but is not managed by the tenant provisioner`, {
      namespace: ns.name,
    });
  }
}

function contains(actual: Readonly<Record<string, string>> | undefined, wanted: Readonly<Record<string, string>>): boolean {
  return Object.entries(wanted).every(([k, v]) => actual?.[k] === v);
}
