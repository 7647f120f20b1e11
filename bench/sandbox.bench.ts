/**
 * Sandbox gateway throughput: RFC 8693 exchanges per second (projected token → ES256 access token,
 * RS256 verification included) and authorised `GET /system/functions` per second (ES256 access-token
 * verification + policy decision + audit line), against `GET /healthz` as the baseline measured in
 * the same run. Bounded loops with a fixed number of concurrent callers (keep-alive fetch).
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startSandbox } from "@node-ts-iam/sandbox";
import { load, type LoadResult } from "./load.js";
import type { BenchModule } from "./report.js";

const CONCURRENCY = 16;
const SECONDS = 8;

const bench: BenchModule = async (log) => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../test/sandbox/fixtures/root");
  log("sandbox: starting an ephemeral sandbox (gateway only) over the test fixture's manifests");
  const sandbox = await startSandbox({ root, runFunctions: false });
  try {
    const subject = await sandbox.issuer.mint({ namespace: "dev", serviceAccount: "whoami" });
    const form = new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
      subject_token: subject,
    }).toString();
    const exchange = async (): Promise<string | undefined> => {
      const res = await fetch(`${sandbox.url}/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form });
      const body = (await res.json()) as { access_token?: string };
      return res.status === 200 ? body.access_token : undefined;
    };
    const token = await exchange();
    if (!token) throw new Error("sandbox bench: the warm-up exchange failed");

    log(`sandbox: GET /healthz baseline, ${CONCURRENCY} callers, ${SECONDS} s`);
    const health = await load(CONCURRENCY, SECONDS, async () => {
      const res = await fetch(`${sandbox.url}/healthz`);
      await res.arrayBuffer();
      return res.status === 200;
    });
    log(`sandbox: POST /oauth/token, ${CONCURRENCY} callers, ${SECONDS} s`);
    const exchanges = await load(CONCURRENCY, SECONDS, async () => (await exchange()) !== undefined);
    log(`sandbox: authorised GET /system/functions, ${CONCURRENCY} callers, ${SECONDS} s`);
    const list = await load(CONCURRENCY, SECONDS, async () => {
      const res = await fetch(`${sandbox.url}/system/functions?namespace=dev`, { headers: { authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      return res.status === 200;
    });
    const row = (name: string, r: LoadResult) => [name, Math.round(r.rps), r.p50.toFixed(2), r.p99.toFixed(2), r.requests, r.errors, (r.rps / health.rps).toFixed(2)];
    return [
      {
        title: "Sandbox gateway",
        columns: ["operation", "req/s", "p50 ms", "p99 ms", "requests", "errors", "vs healthz"],
        rows: [row("GET /healthz (baseline)", health), row("POST /oauth/token (exchange)", exchanges), row("GET /system/functions (Bearer, authorised)", list)],
        notes: [`${CONCURRENCY} concurrent callers (fetch, keep-alive) in this process, ${SECONDS} s each; the gateway shares the process and its 2 cores with the load generator.`],
      },
    ];
  } finally {
    await sandbox.stop();
  }
};

export default bench;
