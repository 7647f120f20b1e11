/**
 * The bounded audit log: rotation by size with atomic renames, the newest files kept, numbering
 * carried across restarts, whole lines in order across the files (also read while another process
 * rotates them), and the sandbox under concurrent load staying within its bound with no line lost.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AuditLog, auditFiles, parseByteSize } from "../../sandbox/src/audit-log.js";
import { scanAudit } from "../../sandbox/src/policy/audit-reader.js";
import type { AuditLine } from "../../sandbox/src/audit-log.js";
import { accessTokenFor, bearer, GRANT, ID_TOKEN, startFixtureSandbox } from "../sandbox/helpers.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "policy-audit-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const entry = (n: number) => ({ subject: "fed:system:serviceaccount:dev:whoami", action: "Function:Get", resource: `dev:fn-${n % 7}`, allowed: true, reason: `n=${n}` });

/** Reads every line across the log's files, in order. */
async function readAll(current: string): Promise<{ lines: AuditLine[]; malformed: number; incomplete: number; files: string[] }> {
  const lines: AuditLine[] = [];
  const stats = await scanAudit([current], (l) => lines.push(l));
  return { lines, malformed: stats.malformed, incomplete: stats.incomplete, files: stats.files };
}
const numbers = (lines: AuditLine[]) => lines.map((l) => Number(l.reason!.slice(2)));
const contiguous = (ns: number[]) => ns.every((n, i) => i === 0 || n === ns[i - 1]! + 1);

describe("AuditLog rotation", () => {
  it("rotates before a file would pass maxBytes and keeps the newest files: whole lines, in order, bounded", async () => {
    const current = join(tempDir(), "audit.ndjson");
    const log = new AuditLog(current, { maxBytes: 4096, keep: 2 });
    for (let n = 0; n < 1000; n++) log.record(entry(n));
    await log.close();
    const files = auditFiles(current);
    expect(files.map((f) => f.slice(f.lastIndexOf("/") + 1))).toHaveLength(3);
    for (const f of files) expect(statSync(f).size).toBeLessThanOrEqual(4096);
    const { lines, malformed } = await readAll(current);
    expect(malformed).toBe(0);
    const ns = numbers(lines);
    expect(ns.at(-1)).toBe(999);
    expect(contiguous(ns)).toBe(true);
    expect(ns[0]).toBeGreaterThan(0); // the oldest files were deleted
    expect(new Set(lines.map((l) => l.run)).size).toBe(1);
  });

  it("numbers rotated files on across restarts, with a new run id, and stays bounded", async () => {
    const dir = tempDir();
    const current = join(dir, "audit.ndjson");
    const first = new AuditLog(current, { maxBytes: 2048, keep: 3 });
    for (let n = 0; n < 200; n++) first.record(entry(n));
    await first.close();
    const before = readdirSync(dir).sort();
    const second = new AuditLog(current, { maxBytes: 2048, keep: 3 });
    expect(second.run).not.toBe(first.run);
    for (let n = 200; n < 400; n++) second.record(entry(n));
    await second.close();
    const after = readdirSync(dir).sort();
    expect(after).toHaveLength(4);
    expect(after.filter((f) => f !== "audit.ndjson").every((f) => !before.includes(f))).toBe(true);
    expect(after.at(-2)! > before.at(-2)!).toBe(true);
    const { lines } = await readAll(current);
    expect(contiguous(numbers(lines))).toBe(true);
    expect(numbers(lines).at(-1)).toBe(399);
  });

  it("writes a line larger than maxBytes whole, into a file of its own", async () => {
    const current = join(tempDir(), "audit.ndjson");
    const log = new AuditLog(current, { maxBytes: 1024, keep: 5 });
    log.record(entry(0));
    log.record({ ...entry(1), reason: `n=1 ${"x".repeat(3000)}` });
    log.record(entry(2));
    await log.close();
    const { lines, malformed } = await readAll(current);
    expect(malformed).toBe(0);
    expect(lines.map((l) => l.reason!.length)).toEqual([3, 3004, 3]);
    expect(auditFiles(current)).toHaveLength(3);
  });

  it("keeps every line when a rotation fails, warns once per maxBytes (not per line), and rotates once it can", async () => {
    const dir = tempDir();
    const current = join(dir, "audit.ndjson");
    const warnings: string[] = [];
    const log = new AuditLog(current, { maxBytes: 1024, keep: 100, warn: (l) => warnings.push(l) });
    // The next rotated name is taken by a folder, so the rename fails.
    mkdirSync(join(dir, "audit.000001.ndjson", "blocker"), { recursive: true });
    for (let n = 0; n < 40; n++) log.record(entry(n));
    expect(readdirSync(dir).sort()).toEqual(["audit.000001.ndjson", "audit.ndjson"]);
    // One attempt (and warning) per maxBytes written, where retrying per line would warn about 35 times.
    const size = statSync(current).size;
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings.length).toBeLessThanOrEqual(Math.ceil(size / 1024));
    expect(warnings.length).toBeLessThan(15);
    expect(warnings[0]).toMatch(/^audit: could not rotate .*audit\.ndjson to .*audit\.000001\.ndjson: .*; writing on to it$/);
    rmSync(join(dir, "audit.000001.ndjson"), { recursive: true });
    for (let n = 40; n < 80; n++) log.record(entry(n));
    await log.close();
    const { lines, malformed } = await readAll(current);
    expect(malformed).toBe(0);
    expect(numbers(lines)).toEqual(Array.from({ length: 80 }, (_, n) => n));
    expect(statSync(join(dir, "audit.000001.ndjson")).size).toBeGreaterThan(1024);
  });

  it("refuses a size under 1 KiB or a negative number of files; parses sizes", () => {
    const current = join(tempDir(), "audit.ndjson");
    expect(() => new AuditLog(current, { maxBytes: 1023 })).toThrow(RangeError);
    expect(() => new AuditLog(current, { keep: -1 })).toThrow(RangeError);
    expect(() => new AuditLog(current, { keep: 1.5 })).toThrow(RangeError);
    expect([parseByteSize("4096"), parseByteSize("512KiB"), parseByteSize("10MiB"), parseByteSize("1 GiB")]).toEqual([4096, 524288, 10485760, 1073741824]);
    expect([parseByteSize("10MB"), parseByteSize("-1"), parseByteSize("1.5MiB"), parseByteSize("")]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it("is read as one ordered, gap-free sequence while another process writes and rotates it", async () => {
    const current = join(tempDir(), "audit.ndjson");
    const total = 20_000;
    // The writer: the compiled AuditLog in a process of its own, rotating about every 30 lines.
    const script = `import { AuditLog } from ${JSON.stringify(resolve(import.meta.dirname, "../../sandbox/dist/audit-log.js"))};
      const log = new AuditLog(${JSON.stringify(current)}, { maxBytes: 8192, keep: 100000 });
      for (let n = 0; n < ${total}; n++) log.record({ subject: "fed:x", action: "Function:Get", resource: "dev:fn", allowed: true, reason: "n=" + n });
      await log.close();`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    let done = false;
    void exited.then(() => (done = true));
    const reads: number[] = [];
    try {
      // Read until the writer is done (at least once after), each read checked on its own.
      for (let last = false; !last; ) {
        last = done;
        const { lines, malformed } = await readAll(current).catch(() => ({ lines: [] as AuditLine[], malformed: 0 }));
        expect(malformed).toBe(0);
        const ns = numbers(lines);
        if (ns.length > 0) {
          expect(ns[0]).toBe(0);
          expect(contiguous(ns), `a read of ${ns.length} lines has a gap or a repeat`).toBe(true);
        }
        reads.push(ns.length);
      }
    } finally {
      if (!done) child.kill();
    }
    expect(await exited, stderr).toBe(0);
    expect(reads.at(-1)).toBe(total);
    expect(reads.filter((n) => n > 0 && n < total).length, "reads that overlapped the writer").toBeGreaterThan(0);
    expect(auditFiles(current).length).toBeGreaterThan(100);
  });
});

describe("the sandbox's audit log under concurrent load", () => {
  it("keeps the folder within (keep + 1) × maxBytes and loses or tears no line", async () => {
    const stateDir = tempDir();
    const sandbox = await startFixtureSandbox({ stateDir, audit: { maxBytes: 16 * 1024, keep: 1000 } });
    let requests = 0;
    try {
      const token = await accessTokenFor(sandbox.url, await sandbox.issuer.mint({ namespace: "dev", serviceAccount: "whoami" }));
      // 32 callers at once, 1,600 authorised calls: each is one audited decision.
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          for (let i = 0; i < 50; i++) {
            const res = await fetch(`${sandbox.url}/system/functions?namespace=dev`, { headers: { authorization: bearer(token) } });
            await res.arrayBuffer();
            expect(res.status).toBe(200);
            requests++;
          }
        }),
      );
    } finally {
      await sandbox.stop();
    }
    const { lines, malformed, incomplete, files } = await readAll(sandbox.auditLog);
    expect([malformed, incomplete]).toEqual([0, 0]);
    expect(lines.filter((l) => l.action === "Function:List" && l.subject === "fed:system:serviceaccount:dev:whoami")).toHaveLength(requests);
    expect(new Set(lines.map((l) => l.run))).toEqual(new Set([sandbox.auditRun]));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) expect(statSync(f).size).toBeLessThanOrEqual(16 * 1024);
    expect(lines.every((l) => l.issuer === "https://kubernetes.default.svc.cluster.local" || l.action === "Token:Exchange")).toBe(true);

    // The same load with 2 files kept: the folder stays under 3 × 16 KiB whatever the volume.
    const bounded = tempDir();
    const again = await startFixtureSandbox({ stateDir: bounded, audit: { maxBytes: 16 * 1024, keep: 2 } });
    try {
      const token = await accessTokenFor(again.url, await again.issuer.mint({ namespace: "dev", serviceAccount: "whoami" }));
      for (let i = 0; i < 400; i++) await (await fetch(`${again.url}/system/functions?namespace=dev`, { headers: { authorization: bearer(token) } })).arrayBuffer();
    } finally {
      await again.stop();
    }
    const auditBytes = readdirSync(bounded).filter((f) => f.startsWith("audit.")).reduce((n, f) => n + statSync(join(bounded, f)).size, 0);
    expect(readdirSync(bounded).filter((f) => f.startsWith("audit."))).toHaveLength(3);
    expect(auditBytes).toBeLessThanOrEqual(3 * 16 * 1024);
    expect(auditBytes).toBeGreaterThan(2 * 16 * 1024 * 0.8);
  });

  it("audits each function-token audience as a Function:Invoke decision, with the issuer and policies", async () => {
    const sandbox = await startFixtureSandbox();
    try {
      const subject = await sandbox.issuer.mint({ namespace: "dev", serviceAccount: "whoami" });
      const ask = (audience: string) =>
        fetch(`${sandbox.url}/oauth/token`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ grant_type: GRANT, subject_token_type: ID_TOKEN, subject_token: subject, scope: "function", audience }),
        });
      expect((await ask("dev:echo")).status).toBe(200);
      expect((await ask("prod:echo")).status).toBe(400);
      const { lines } = await readAll(sandbox.auditLog);
      const invoke = lines.filter((l) => l.action === "Function:Invoke").map(({ subject, resource, allowed, issuer, policies }) => ({ subject, resource, allowed, issuer, policies }));
      const who = { subject: "fed:system:serviceaccount:dev:whoami", issuer: "https://kubernetes.default.svc.cluster.local", policies: ["dev-reader"] };
      expect(invoke).toEqual([
        { ...who, resource: "dev:echo", allowed: true },
        { ...who, resource: "prod:echo", allowed: false },
      ]);
      expect(lines.filter((l) => l.action === "Token:Exchange").map((l) => l.allowed)).toEqual([true, false]);
      expect(JSON.stringify(lines)).not.toContain(subject.split(".")[2]!.slice(0, 24));
    } finally {
      await sandbox.stop();
    }
  });

  it("npm start: --audit-max-size and --audit-keep (or their variables) bound the log; bad values exit 2 naming the flag", async () => {
    const cli = resolve(import.meta.dirname, "../../sandbox/dist/cli.js");
    for (const [args, text] of [
      [["--audit-max-size", "10"], "--audit-max-size must be a size of at least 1KiB"],
      [["--audit-max-size", "10MB"], "--audit-max-size must be a size"],
      [["--audit-keep=-1"], "--audit-keep must be a whole number of files"],
      [["--audit-keep", "many"], "--audit-keep must be a whole number of files"],
    ] as const) {
      const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(text);
    }
    const stateDir = tempDir();
    // A project whose stack has no functions: the gateway alone.
    const project = tempDir();
    writeFileSync(join(project, "stack.yaml"), "version: 1.0\nprovider:\n  name: openfaas\nfunctions: {}\n");
    const child = spawn(process.execPath, [cli, "--port", "0", "--state-dir", stateDir, "--root", project, "--no-connectors", "--audit-max-size", "1KiB"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, SANDBOX_AUDIT_KEEP: "1" },
    });
    try {
      const url = await new Promise<string>((done, fail) => {
        let out = "";
        child.once("exit", (code) => fail(new Error(`sandbox exited (${code})`)));
        child.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          const m = /sandbox ready at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m && out.includes("Ctrl-C stops")) done(m[1]!);
        });
      });
      const auth = `Basic ${Buffer.from(`admin:${readFileSync(join(stateDir, "admin-password"), "utf8").trim()}`).toString("base64")}`;
      for (let i = 0; i < 40; i++) await (await fetch(`${url}/system/functions?namespace=openfaas-fn`, { headers: { authorization: auth } })).arrayBuffer();
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    const audit = readdirSync(stateDir).filter((f) => f.startsWith("audit."));
    expect(audit).toHaveLength(2);
    for (const f of audit) expect(statSync(join(stateDir, f)).size).toBeLessThanOrEqual(1024);
  });

  it("reads old lines without a run id (written before this change) as one run of their own", async () => {
    const current = join(tempDir(), "audit.ndjson");
    writeFileSync(current, `${JSON.stringify({ time: "2025-01-01T00:00:00.000Z", subject: "admin", action: "Function:List", resource: "dev:*", allowed: true, reason: "admin credential" })}\n`);
    const { lines } = await readAll(current);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.run).toBeUndefined();
  });
});
