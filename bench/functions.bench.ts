/**
 * Tenant provisioning throughput: the tenant-provisioner function, invoked through an in-process
 * ephemeral sandbox gateway, provisions 200 tenants at concurrency 1 and 200 more at concurrency 8,
 * then repeats the second batch (converge path: every object unchanged). Gateway calls per tenant
 * are counted from the sandbox's audit log (one entry per authorised API call of the function's
 * identity; the token exchange happens once per token lifetime and is not counted). The function
 * has jwt_auth=true: the load generator calls it as ci:deployer with a function token (one exchange,
 * cached), and the pod's watchdog verifies that token on every call.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { StaticTokenSource, TokenAuth } from "@node-ts-iam/sdk";
import { startSandbox } from "@node-ts-iam/sandbox";
import type { BenchModule, BenchSection } from "./report.js";

const TENANTS = 200;
const PROVISIONER_SUBJECT = "system:serviceaccount:openfaas-fn:tenant-provisioner";

const bench: BenchModule = async (log) => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
  log("functions: starting an ephemeral sandbox with the stack's functions");
  const sandbox = await startSandbox({ root, host: "127.0.0.1", port: 0, runFunctions: true, log: () => {} });
  try {
    const url = `${sandbox.url}/function/tenant-provisioner.openfaas-fn/tenants`;
    const caller = new TokenAuth({
      source: new StaticTokenSource(await sandbox.issuer.mint({ namespace: "ci", serviceAccount: "deployer" })),
      tokenURL: `${sandbox.url}/oauth/token`,
    }).forFunction("tenant-provisioner", "openfaas-fn");
    const provision = async (name: string): Promise<void> => {
      const authorization = `Bearer ${await caller.token()}`;
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization }, body: JSON.stringify({ name }) });
      const body = await res.text();
      if (res.status !== 201 && res.status !== 200) throw new Error(`provisioning ${name}: HTTP ${res.status} ${body.slice(0, 200)}`);
    };
    // API decisions only (`Kind:Verb` actions); token-exchange decisions are not gateway API calls.
    const auditCount = (): number =>
      readFileSync(sandbox.auditLog, "utf8")
        .split("\n")
        .filter(Boolean)
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as { subject?: string; action?: string; allowed?: boolean }];
          } catch {
            return []; // a line still being written
          }
        })
        .filter((e) => e.allowed && e.subject?.includes(PROVISIONER_SUBJECT) && /^(Function|Secret|Namespace|System):/.test(e.action ?? "")).length;

    // Warm-up: first token exchange, JIT.
    await provision("warmup");

    const run = async (label: string, prefix: string, concurrency: number): Promise<(string | number)[]> => {
      log(`functions: ${label}: ${TENANTS} tenants at concurrency ${concurrency}`);
      const callsBefore = auditCount();
      let next = 0;
      const started = performance.now();
      const worker = async (): Promise<void> => {
        while (next < TENANTS) {
          const i = next++;
          await provision(`${prefix}-${i}`);
          if ((i + 1) % 50 === 0) log(`functions: ${label}: ${i + 1}/${TENANTS}`);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      const seconds = (performance.now() - started) / 1000;
      await new Promise((r) => setTimeout(r, 100)); // let the audit stream flush
      const calls = (auditCount() - callsBefore) / TENANTS;
      return [label, concurrency, TENANTS, seconds.toFixed(2), (TENANTS / seconds).toFixed(1), calls.toFixed(1)];
    };

    const rows = [await run("create", "c1", 1), await run("create", "c8", 8), await run("repeat (converge)", "c8", 8)];
    const section: BenchSection = {
      title: "Tenant provisioning through the sandbox gateway (tenant-provisioner function)",
      columns: ["run", "concurrency", "tenants", "seconds", "tenants/s", "gateway calls/tenant"],
      rows,
      notes: [
        "Each tenant: namespace tenant-<name>, 1 generated secret, 1 starter function, invoked as POST /function/tenant-provisioner.openfaas-fn/tenants.",
        "Gateway calls are the function's authorised API calls from the sandbox audit log (reads + writes; the repeat run only reads).",
      ],
    };
    return [section];
  } finally {
    await sandbox.stop();
  }
};

export default bench;
