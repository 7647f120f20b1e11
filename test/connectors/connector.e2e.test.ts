/**
 * The cron-connector in the sandbox, end to end: two connector deployments with their own
 * identities (rendered as for a cluster), preview-janitor run on its schedule, the staging-scoped
 * instance refused outside its scope (the gateway's 403 and the audit log say why), no missed tick
 * while the connector's projected token rotates, and a gateway restart survived.
 *
 * Time: the sandbox runs 900 times faster, so preview-janitor's `*\/15 * * * *` fires every second,
 * projected tokens (600 s) rotate about every 0.5 s and access tokens (2 h) last 8 s, so the SDK
 * exchanges a freshly rotated token about every 4 s. Every wait is on a log line or an audit entry,
 * never on a fixed delay.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exchangeToken, OAuthError } from "@node-ts-iam/sdk";
import { startFunctionsSandbox, type AuditEntry, type FunctionsSandbox } from "../functions/support/sandbox.js";
import { repoRoot } from "../functions/support/repo.js";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.js";

const TIME_SCALE = 900;
const PERIOD_MS = (15 * 60 * 1000) / TIME_SCALE;
const MAIN = join(repoRoot, "connectors", "cron-connector", "dist", "main.js");
const MAIN_SUBJECT = "fed:system:serviceaccount:openfaas:cron-connector";
const STAGING_SUBJECT = "fed:system:serviceaccount:openfaas:cron-connector-staging";

let fx: FunctionsSandbox;
const sandboxLines: string[] = [];

/** The output lines of a connector the sandbox runs. */
function lines(name: string): string[] {
  return [...(fx.sandbox.connectors.find((c) => c.name === name)?.lines ?? [])];
}

/** Polls `probe` every 50 ms until it returns a value other than undefined/false; fails with `what` after `timeoutMs`. */
async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const count = (all: string[], re: RegExp): number => all.filter((l) => re.test(l)).length;
const time = (line: string): number => Date.parse(line.slice(0, line.indexOf(" ")));

beforeAll(async () => {
  fx = await startFunctionsSandbox({
    only: ["preview-janitor"],
    // jwt_auth: the listing shows it, so the connector invokes with a function token (issue 8 makes the sandbox enforce it).
    env: { "preview-janitor": { jwt_auth: "true" } },
    log: (line) => sandboxLines.push(line),
    sandbox: {
      timeScale: TIME_SCALE,
      tokenExpirationSeconds: 600,
      connectors: [
        { name: "cron-connector", namespaces: ["openfaas-fn", "dev"], invoke: ["openfaas-fn:preview-janitor"], env: { rebuild_interval: "300ms" } },
        // Scoped to staging, but told to serve dev and openfaas-fn too: the gateway must refuse it there.
        { name: "cron-connector-staging", namespaces: ["staging"], env: { rebuild_interval: "300ms", namespaces: "staging,dev,openfaas-fn" } },
      ],
    },
  });
  // preview-janitor sweeps dev; a scheduled function of staging runs the janitor's image there.
  for (const name of ["dev", "staging"]) await fx.admin.createNamespace({ name });
  const image = (await fx.admin.getFunction("preview-janitor", "openfaas-fn")).image;
  await fx.admin.deploy({ service: "staging-janitor", image, namespace: "staging", envVars: { JANITOR_NAMESPACES: "staging" }, annotations: { topic: "cron-function", schedule: "*/15 * * * *" } });
}, 120_000);

afterAll(async () => {
  await fx?.stop();
});

describe("in the sandbox", () => {
  it("runs both connectors as deployments in openfaas, each with its own projected token", () => {
    const running = fx.sandbox.connectors.map((c) => `${c.namespace}/${c.name}`).sort();
    expect(running).toEqual(["openfaas/cron-connector", "openfaas/cron-connector-staging"]);
    for (const c of fx.sandbox.connectors) {
      const payload = JSON.parse(Buffer.from(readFileSync(join(c.tokenDir, "openfaas-token"), "utf8").split(".")[1]!, "base64url").toString()) as { sub: string; aud: string[] };
      expect(payload.sub).toBe(`system:serviceaccount:openfaas:${c.name}`);
      expect(payload.aud).toEqual([fx.sandbox.url]);
    }
  });

  it("invokes preview-janitor on its schedule with a function token (jwt_auth), 200 each time", async () => {
    await until("three answers from preview-janitor", () => count(lines("cron-connector"), /Response: preview-janitor\.openfaas-fn \[200\]/) >= 3);
    const log = lines("cron-connector");
    expect(log.some((l) => l.endsWith(" Added: preview-janitor.openfaas-fn [*/15 * * * *] with a function token (jwt_auth)"))).toBe(true);
    expect(log.filter((l) => / (Error|Missed): /.test(l))).toEqual([]);
    const exchanges = fx.audit().filter((e) => e.subject === MAIN_SUBJECT && e.action === "Token:Exchange" && e.resource === "scope:function");
    expect(exchanges.some((e) => e.allowed && e.reason === "function token for openfaas-fn:preview-janitor")).toBe(true);
    // Its sandbox log lines are the same, prefixed with the deployment.
    expect(sandboxLines.some((l) => /^openfaas\/cron-connector: .*Response: preview-janitor\.openfaas-fn \[200\]/.test(l))).toBe(true);
  });

  it("the staging instance invokes what runs in staging, and only that", async () => {
    await until("an invocation of staging-janitor", () => count(lines("cron-connector-staging"), /Response: staging-janitor\.staging \[\d+\]/) >= 1);
    expect(lines("cron-connector-staging").filter((l) => /preview-janitor/.test(l))).toEqual([]);
    expect(lines("cron-connector").filter((l) => /staging/.test(l))).toEqual([]);
  });

  it("the staging instance is refused dev and openfaas-fn: one line each, 403s in the audit log with the reason, on every rebuild", async () => {
    const denied = (ns: string) => (e: AuditEntry) => e.subject === STAGING_SUBJECT && e.action === "Function:List" && e.resource === `${ns}:*` && !e.allowed;
    // Several rebuilds, each refused by the gateway...
    await until("five refused listings of dev", () => fx.audit().filter(denied("dev")).length >= 5);
    const entry = fx.audit().find(denied("dev"))!;
    expect(entry.reason).toMatch(/cron-connector-staging/);
    expect(fx.audit().filter(denied("openfaas-fn")).length).toBeGreaterThanOrEqual(1);
    // ... and logged once each.
    const log = lines("cron-connector-staging");
    expect(count(log, /^.* Namespace dev: the gateway refused to list its functions \(403: .*may not Function:List on dev:\*/)).toBe(1);
    expect(count(log, /Namespace openfaas-fn: the gateway refused to list its functions \(403/)).toBe(1);
    // Nothing of staging was ever listed by the main instance either.
    expect(fx.audit().filter((e) => e.subject === MAIN_SUBJECT && e.resource === "staging:*" && e.action === "Function:List")).toEqual([]);
  });

  it("the staging identity cannot get a function token for preview-janitor (no Function:Invoke): 400 invalid_target, audited", async () => {
    const staging = fx.sandbox.connectors.find((c) => c.name === "cron-connector-staging")!;
    const subjectToken = readFileSync(join(staging.tokenDir, "openfaas-token"), "utf8");
    const tokenURL = `${fx.sandbox.url}/oauth/token`;
    const access = await exchangeToken({ tokenURL, subjectToken });
    const refused = await exchangeToken({ tokenURL, subjectToken: access.accessToken, scope: "function", audience: "openfaas-fn:preview-janitor" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OAuthError);
    expect((refused as OAuthError).error).toBe("invalid_target");
    const entries = await fx.waitForAudit((e) => e.action === "Token:Exchange" && !e.allowed && /may not invoke openfaas-fn:preview-janitor/.test(e.reason ?? ""));
    const entry = entries.find((e) => e.action === "Token:Exchange" && !e.allowed && /may not invoke openfaas-fn:preview-janitor/.test(e.reason ?? ""))!;
    expect(entry.subject).toMatch(/system:serviceaccount:openfaas:cron-connector-staging$/);
    expect(entry.reason).toMatch(/no policy allows Function:Invoke/);
  });

  it("does not miss a tick while its projected token rotates", async () => {
    const main = fx.sandbox.connectors.find((c) => c.name === "cron-connector")!;
    const tokenFile = join(main.tokenDir, "openfaas-token");
    const seen = new Set<string>([readFileSync(tokenFile, "utf8")]);
    const before = count(lines("cron-connector"), /Invoking: preview-janitor/);
    const exchanges = (): number => fx.audit().filter((e) => e.subject === MAIN_SUBJECT && e.action === "Token:Exchange" && e.resource === "*" && e.allowed).length;
    const exchangedBefore = exchanges();
    // Wait for four more ticks during which the token file was rewritten at least three times and
    // the connector exchanged a rotated token for a new access token at least twice.
    await until("four ticks across three token rotations and two exchanges", () => {
      try {
        seen.add(readFileSync(tokenFile, "utf8"));
      } catch {
        // read between the kubelet-style swap's steps: the next poll sees the new token
      }
      return seen.size >= 4 && exchanges() >= exchangedBefore + 2 && count(lines("cron-connector"), /Response: preview-janitor\.openfaas-fn \[200\]/) >= before + 4;
    });
    const log = lines("cron-connector");
    const invoking = log.filter((l) => /Invoking: preview-janitor/.test(l));
    expect(log.filter((l) => / (Error|Missed|Skipped): /.test(l))).toEqual([]);
    // Every invocation was answered 200 (the last one may still be in flight).
    expect(count(log, /Response: preview-janitor\.openfaas-fn \[200\]/)).toBeGreaterThanOrEqual(invoking.length - 1);
    // No gap of two periods between ticks: none was skipped (a late one would also log "Missed:").
    const gaps = invoking.slice(1).map((l, i) => time(l) - time(invoking[i]!));
    expect(Math.max(...gaps)).toBeLessThan(2 * PERIOD_MS);
  }, 30_000);
});

describe("a gateway restart", () => {
  let proxy: TcpProxy;
  let child: ChildProcess;
  let output = "";
  let tokenDir: string;

  beforeAll(async () => {
    proxy = await startTcpProxy(fx.sandbox.url);
    tokenDir = mkdtempSync(join(tmpdir(), "connector-restart-"));
    // The same service account's projected token, as a second replica of the deployment would get it.
    writeFileSync(join(tokenDir, "openfaas-token"), await fx.sandbox.issuer.mint({ namespace: "openfaas", serviceAccount: "cron-connector", expirationSeconds: 600 }));
    child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env["PATH"], gateway_url: proxy.url, token_mount_path: tokenDir, rebuild_interval: "300ms", cron_time_scale: String(TIME_SCALE), namespaces: "openfaas-fn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [child.stdout!, child.stderr!]) stream.on("data", (c: Buffer) => (output += c.toString()));
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    await proxy.close();
    rmSync(tokenDir, { recursive: true, force: true });
  });

  const all = (): string[] => output.split("\n").filter(Boolean);

  it("keeps its schedule while the gateway is away, reports it once, and invokes again when it is back", async () => {
    await until("two answers before the restart", () => count(all(), /Response: preview-janitor\.openfaas-fn \[200\]/) >= 2);
    await proxy.down();
    await until("a failed tick and a failed rebuild while the gateway is away", () => count(all(), /Error: preview-janitor\.openfaas-fn/) >= 1 && count(all(), /Namespace openfaas-fn: listing functions failed/) >= 1);
    const answeredBefore = count(all(), /Response: preview-janitor\.openfaas-fn \[200\]/);
    await proxy.up();
    await until("two answers after the restart", () => count(all(), /Response: preview-janitor\.openfaas-fn \[200\]/) >= answeredBefore + 2);
    const log = all();
    expect(count(log, /Namespace openfaas-fn: listing functions failed/)).toBe(1);
    expect(count(log, /Namespace openfaas-fn: listing functions works again/)).toBe(1);
    // The schedule was never dropped and re-added.
    expect(count(log, /Removed: /)).toBe(0);
    expect(count(log, /Added: preview-janitor\.openfaas-fn/)).toBe(1);
    expect(child.exitCode).toBeNull();
  }, 40_000);

  it("stops on SIGTERM with exit 0", async () => {
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    expect(code).toBe(0);
  });
});
