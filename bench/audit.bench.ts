/**
 * The sandbox's audit log, per line: the bounded log (`AuditLog.record`: run id, issuer and policies
 * in every line, size checked, rotated by rename) against the unbounded log it replaced (one
 * `JSON.stringify` and `writeSync` of the shorter line, no rotation) as the baseline in the same run;
 * then the soak volume (1.3 M decisions) through the default limits, with the largest the
 * folder ever got.
 */
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog, type AuditEntry } from "@node-ts-iam/sandbox";
import type { BenchModule } from "./report.js";

const LINES = 200_000;
const SOAK_LINES = 1_300_000;

/** A decision as a function's token call produces it (what most lines of a soak are). */
const decision = (n: number): AuditEntry => ({
  subject: "fed:system:serviceaccount:openfaas-fn:tenant-provisioner",
  action: "Function:List",
  resource: `tenant-${n % 50}:*`,
  allowed: true,
  reason: "tenant-provisioner/manage-tenants",
  issuer: "https://kubernetes.default.svc.cluster.local",
  policies: ["tenant-provisioner"],
});

/** Bytes of every audit file in `dir`. */
function folderBytes(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

/** Runs `write` for `lines` decisions; ns per line. */
function time(lines: number, write: (n: number) => void): number {
  const start = process.hrtime.bigint();
  for (let n = 0; n < lines; n++) write(n);
  return Number(process.hrtime.bigint() - start) / lines;
}

const bench: BenchModule = async (log) => {
  const dir = mkdtempSync(join(tmpdir(), "bench-audit-"));
  try {
    log(`audit: ${LINES} lines, the unbounded log it replaced (baseline)`);
    const oldFd = openSync(join(dir, "old.ndjson"), "a", 0o600);
    const { subject, action, resource, allowed, reason } = decision(0);
    const oldBytes = Buffer.byteLength(`${JSON.stringify({ time: new Date().toISOString(), subject, action, resource, allowed, reason })}\n`);
    const baseline = time(LINES, (n) => {
      const d = decision(n);
      writeSync(oldFd, `${JSON.stringify({ time: new Date().toISOString(), subject: d.subject, action: d.action, resource: d.resource, allowed: d.allowed, reason: d.reason })}\n`);
    });
    closeSync(oldFd);

    const run = (name: string, maxBytes: number, keep: number): { ns: number; bytes: number; files: number } => {
      const sub = join(dir, name);
      const parts = mkdtempSync(sub);
      const audit = new AuditLog(join(parts, "audit.ndjson"), { maxBytes, keep });
      log(`audit: ${LINES} lines, AuditLog maxBytes ${maxBytes} keep ${keep}`);
      const ns = time(LINES, (n) => audit.record(decision(n)));
      void audit.close();
      return { ns, bytes: folderBytes(parts), files: readdirSync(parts).length };
    };
    const defaults = run("default-", 10 * 1024 * 1024, 4);
    const small = run("small-", 256 * 1024, 3);

    log(`audit: soak volume, ${SOAK_LINES} lines through the default limits`);
    const soakDir = mkdtempSync(join(dir, "soak-"));
    const soak = new AuditLog(join(soakDir, "audit.ndjson"));
    let largest = 0;
    const soakNs = time(SOAK_LINES, (n) => {
      soak.record(decision(n));
      if (n % 50_000 === 0) largest = Math.max(largest, folderBytes(soakDir));
    });
    await soak.close();
    largest = Math.max(largest, folderBytes(soakDir));
    const newBytes = statSync(join(soakDir, "audit.ndjson")).size > 0 ? Buffer.byteLength(`${JSON.stringify({ time: new Date().toISOString(), run: soak.run, ...decision(0) })}\n`) : 0;
    const mib = (b: number) => (b / 1024 / 1024).toFixed(1);
    return [
      {
        title: "Sandbox audit log (per decision)",
        columns: ["log", "ns/line", "vs unbounded", "bytes/line", "files", "folder MiB"],
        rows: [
          ["unbounded, old line (baseline)", baseline.toFixed(0), "1.00", oldBytes, 1, mib(oldBytes * LINES)],
          ["bounded, 10 MiB × (4 + 1) (default)", defaults.ns.toFixed(0), (defaults.ns / baseline).toFixed(2), newBytes, defaults.files, mib(defaults.bytes)],
          ["bounded, 256 KiB × (3 + 1)", small.ns.toFixed(0), (small.ns / baseline).toFixed(2), newBytes, small.files, mib(small.bytes)],
          [`soak: ${SOAK_LINES} lines, defaults`, soakNs.toFixed(0), (soakNs / baseline).toFixed(2), newBytes, readdirSync(soakDir).length, `${mib(largest)} at most (unbounded: ${mib(newBytes * SOAK_LINES)})`],
        ],
        notes: [
          `${LINES} synchronous appends per row to ${tmpdir()}; the new line adds run, issuer and policies (${newBytes - oldBytes} bytes).`,
          "A decision's line is written before the answer is sent, in the request's own turn of the event loop.",
        ],
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

export default bench;
