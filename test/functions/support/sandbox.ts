/**
 * Starts the sandbox (`@node-ts-iam/sandbox`) with the repository's stack.yml, optionally with
 * environment overrides per function written to a temporary copy of the stack file, and offers
 * helpers to invoke functions through the gateway and to act as admin.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { BasicAuth, Client } from "@node-ts-iam/sdk";
import { startSandbox, type Sandbox, type SandboxOptions } from "@node-ts-iam/sandbox";
import { repoRoot } from "./repo.js";

/** The namespace the stack deploys the sample functions to. */
export const FUNCTION_NAMESPACE = "openfaas-fn";

/** An HTTP answer from a function, body parsed as JSON when it is JSON. */
export interface Answer {
  status: number;
  contentType: string;
  body: unknown;
}

/** A running sandbox plus helpers. */
export interface FunctionsSandbox {
  sandbox: Sandbox;
  /** Admin client (basic auth), to set up and inspect state. */
  admin: Client;
  /** Calls `<gateway>/function/<name>.openfaas-fn<path>`. */
  invoke(name: string, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  /** Audit log entries written to disk so far. */
  audit(): AuditEntry[];
  /**
   * Waits until an entry matching `predicate` is on disk (the log is written asynchronously, after
   * the answer) and returns all entries; rejects after `timeoutMs`.
   */
  waitForAudit(predicate: (entry: AuditEntry) => boolean, timeoutMs?: number): Promise<AuditEntry[]>;
  stop(): Promise<void>;
}

/** One line of the sandbox audit log. */
export interface AuditEntry {
  subject: string;
  action: string;
  resource: string;
  allowed: boolean;
  reason?: string;
}

/** Options: per-function environment overrides, and which functions to run (default all). */
export interface FunctionsSandboxOptions {
  env?: Record<string, Record<string, string>>;
  only?: string[];
  log?: (line: string) => void;
  /** Further sandbox options (time scale, token lifetime, connectors). */
  sandbox?: Pick<SandboxOptions, "timeScale" | "tokenExpirationSeconds" | "connectors">;
}

/** Starts an ephemeral sandbox on 127.0.0.1:0 running the stack's functions. */
export async function startFunctionsSandbox(options: FunctionsSandboxOptions = {}): Promise<FunctionsSandbox> {
  const dir = mkdtempSync(join(tmpdir(), "functions-e2e-"));
  const stackFile = join(dir, "stack.yml");
  const doc = parseDocument(readFileSync(join(repoRoot, "stack.yml"), "utf8"));
  const functions = doc.getIn(["functions"]) as { items: { key: { value: string } }[] };
  for (const item of [...functions.items]) {
    const name = item.key.value;
    if (options.only && !options.only.includes(name)) {
      doc.deleteIn(["functions", name]);
      continue;
    }
    doc.setIn(["functions", name, "handler"], resolve(repoRoot, "functions", name));
    for (const [key, value] of Object.entries(options.env?.[name] ?? {})) doc.setIn(["functions", name, "environment", key], value);
  }
  writeFileSync(stackFile, doc.toString());
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({ ...options.sandbox, root: repoRoot, stackFile, host: "127.0.0.1", port: 0, runFunctions: true, log: options.log ?? (() => {}) });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const admin = new Client({ gatewayURL: sandbox.url, auth: new BasicAuth(sandbox.admin.username, sandbox.admin.password) });

  const audit = (): AuditEntry[] => {
    let text = "";
    try {
      text = readFileSync(sandbox.auditLog, "utf8");
    } catch {
      return [];
    }
    return text
      .split("\n")
      .filter(Boolean)
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as AuditEntry];
        } catch {
          return []; // a line still being written
        }
      });
  };

  return {
    sandbox,
    admin,
    audit,
    async invoke(name, method, path, body, headers = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (body !== undefined) {
        init.body = typeof body === "string" ? body : JSON.stringify(body);
        if (typeof body !== "string" && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
          (init.headers as Record<string, string>)["content-type"] = "application/json";
        }
      }
      const res = await fetch(`${sandbox.url}/function/${name}.${FUNCTION_NAMESPACE}${path}`, init);
      const text = await res.text();
      const contentType = res.headers.get("content-type") ?? "";
      let parsed: unknown = text;
      if (contentType.includes("json")) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      return { status: res.status, contentType, body: parsed };
    },
    async waitForAudit(predicate, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const entries = audit();
        if (entries.some(predicate)) return entries;
        if (Date.now() > deadline) throw new Error("audit entry not written in time");
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      try {
        await sandbox.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Creates namespaces as admin, ignoring those that exist. */
export async function ensureNamespaces(admin: Client, names: string[]): Promise<void> {
  for (const name of names) {
    try {
      await admin.createNamespace({ name, labels: { openfaas: "1" }, annotations: { openfaas: "1" } });
    } catch (error) {
      if ((error as { code?: string }).code !== "ERR_CONFLICT") throw error;
    }
  }
}
