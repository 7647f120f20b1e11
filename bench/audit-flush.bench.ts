/**
 * How long a caller with only `Function:Invoke` needs to flush the sandbox's retained audit log
 * (issue 21, finding 2): ci:deployer, the shipped caller, sends the request that writes the most audit
 * bytes it can (a function-token exchange naming its two functions and one it may not invoke: two
 * allowed `Function:Invoke` lines, the denied one, the refused exchange; repeats count once, at most
 * 8 audiences), from 16 concurrent callers, until an admin line written first has left every file
 * the default retention keeps (10 MiB × (4 + 1)). For comparison, a caller with no identity at all (a
 * failed basic auth, one `Auth:Basic` line): its rate for a few seconds, and the time the bounds then
 * give. The requests needed follow from the bounds; the seconds are this machine's.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { auditFiles, DEFAULT_AUDIT_KEEP, DEFAULT_AUDIT_MAX_BYTES, startSandbox, type Sandbox } from "@node-ts-iam/sandbox";
import type { BenchModule, BenchSection } from "./report.js";

const CONCURRENCY = 16;
const RATE_SECONDS = 10;
const GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token";
/** A function ci:deployer may not invoke, with the longest names an audience may have. */
const DENIED = `${"n".repeat(63)}:${"f".repeat(63)}`;

/** Bytes of every file of the log. */
const logBytes = (current: string): number => auditFiles(current).reduce((n, f) => n + (statSync(f, { throwIfNoEntry: false })?.size ?? 0), 0);

/** Whether any retained file still holds `marker`. */
const retained = (current: string, marker: string): boolean => auditFiles(current).some((f) => readFileSync(f, "utf8").includes(marker));

interface Flush {
  linesPerRequest: number;
  bytesPerRequest: number;
  requests: number;
  seconds: number;
}

/**
 * Writes an admin line with a fresh marker, then runs `send` from {@link CONCURRENCY} callers until
 * the rotation has deleted the file that held it (checked by name as files rotate, then by content).
 */
async function flush(sandbox: Sandbox, send: () => Promise<void>, log: (line: string) => void): Promise<Flush> {
  const current = sandbox.auditLog;
  const marker = `flush-canary-${randomBytes(6).toString("hex")}`;
  // A refused basic auth is audited with its user name: the marker line.
  await fetch(`${sandbox.url}/system/namespaces`, { headers: { authorization: `Basic ${Buffer.from(`${marker}:x`).toString("base64")}` } }).then((r) => r.arrayBuffer());
  const rotatedSeq = (f: string): number => Number(/\.(\d{6,})\.ndjson$/.exec(f)?.[1] ?? Number.NaN);
  // The current file becomes the next sequence number when it rotates; the marker is gone with that file.
  const markerSeq = Math.max(0, ...auditFiles(current).map(rotatedSeq).filter(Number.isFinite)) + 1;
  const gone = (): boolean => auditFiles(current).map(rotatedSeq).filter(Number.isFinite).some((seq) => seq > markerSeq + DEFAULT_AUDIT_KEEP - 1);

  const one = await sample(current, send);
  let requests = 1;
  const started = performance.now();
  let done = false;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (!done) {
        await send();
        requests++;
        if (requests % 2000 === 0) {
          if (gone()) done = true;
          else log(`audit-flush: ${requests} requests, ${(logBytes(current) / 1024 / 1024).toFixed(1)} MiB retained`);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (retained(current, marker)) throw new Error("audit-flush: the marker line is still retained");
  return { ...one, requests, seconds };
}

/** The audit lines and bytes one `send` writes. */
async function sample(current: string, send: () => Promise<void>): Promise<{ linesPerRequest: number; bytesPerRequest: number }> {
  const before = readFileSync(current, "utf8");
  await send();
  const written = readFileSync(current, "utf8").slice(before.length);
  return { linesPerRequest: written.split("\n").filter(Boolean).length, bytesPerRequest: Buffer.byteLength(written) };
}

/** Bytes and lines of one request, then the rate of `send` from {@link CONCURRENCY} callers for {@link RATE_SECONDS}. */
async function rate(sandbox: Sandbox, send: () => Promise<void>): Promise<Flush> {
  const one = await sample(sandbox.auditLog, send);
  let requests = 0;
  const started = performance.now();
  const end = started + RATE_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        await send();
        requests++;
      }
    }),
  );
  return { ...one, requests, seconds: (performance.now() - started) / 1000 };
}

const bench: BenchModule = async (log) => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
  log("audit-flush: starting an ephemeral sandbox (gateway only) with the repository's manifests and the default audit limits");
  const sandbox = await startSandbox({ root, stackFile: null, runFunctions: false });
  try {
    const mint = await sandbox.issuer.mint({ namespace: "ci", serviceAccount: "deployer" });
    const post = (form: URLSearchParams) =>
      fetch(`${sandbox.url}/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form }).then(async (r) => ({ status: r.status, body: (await r.json()) as { access_token?: string } }));
    const access = await post(new URLSearchParams({ grant_type: GRANT, subject_token_type: ID_TOKEN, subject_token: mint }));
    if (access.status !== 200 || !access.body.access_token) throw new Error("audit-flush: ci:deployer's exchange failed");
    const form = new URLSearchParams({ grant_type: GRANT, subject_token_type: ID_TOKEN, subject_token: access.body.access_token, scope: "function" });
    for (const audience of ["openfaas-fn:ns-admin", "openfaas-fn:tenant-provisioner", DENIED]) form.append("audience", audience);
    const invokeOnly = async () => {
      const r = await post(form);
      if (r.status !== 400) throw new Error(`audit-flush: expected the exchange refused, got ${r.status}`);
    };
    const anonymous = async () => {
      const r = await fetch(`${sandbox.url}/system/functions`, { headers: { authorization: `Basic ${Buffer.from("nobody:wrong").toString("base64")}` } });
      await r.arrayBuffer();
      if (r.status !== 401) throw new Error(`audit-flush: expected 401, got ${r.status}`);
    };
    log("audit-flush: ci:deployer (Function:Invoke on two functions, nothing else)");
    const caller = await flush(sandbox, invokeOnly, log);
    log(`audit-flush: no identity (a failed basic auth), ${RATE_SECONDS} s`);
    const nobody = await rate(sandbox, anonymous);
    const least = DEFAULT_AUDIT_KEEP * DEFAULT_AUDIT_MAX_BYTES;
    const most = (DEFAULT_AUDIT_KEEP + 1) * DEFAULT_AUDIT_MAX_BYTES;
    const needed = (f: Flush) => `${Math.ceil(least / f.bytesPerRequest)} to ${Math.ceil(most / f.bytesPerRequest)}`;
    const perSecond = (f: Flush) => f.requests / f.seconds;
    const row = (who: string, request: string, f: Flush, flushed: boolean) => [
      who,
      request,
      f.linesPerRequest,
      f.bytesPerRequest,
      needed(f),
      Math.round(perSecond(f)),
      flushed ? `${f.seconds.toFixed(0)} (flushed: ${f.requests} requests)` : `${(least / f.bytesPerRequest / perSecond(f)).toFixed(0)} to ${(most / f.bytesPerRequest / perSecond(f)).toFixed(0)} (from the rate)`,
    ];
    const section: BenchSection = {
      title: "Flushing the audit log (default retention: 10 MiB × (4 + 1))",
      columns: ["caller", "request", "lines/request", "bytes/request", "requests to flush (from the bounds)", "req/s", "seconds to flush"],
      rows: [
        row("ci:deployer (Function:Invoke only)", "function-token exchange: 2 allowed audiences, 1 denied", caller, true),
        row("no identity", "a failed basic auth", nobody, false),
      ],
      notes: [
        `${CONCURRENCY} concurrent callers (fetch, keep-alive) in the sandbox's own process; ci:deployer until an admin line written first had left every retained file (a line is gone after 4 to 5 × 10 MiB of later lines), the other for ${RATE_SECONDS} s.`,
      ],
    };
    return [section];
  } finally {
    await sandbox.stop();
  }
};

export default bench;
