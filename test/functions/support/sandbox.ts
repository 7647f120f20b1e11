/**
 * Starts the sandbox (`@node-ts-iam/sandbox`) with the repository's stack.yml, optionally with
 * environment overrides per function written to a temporary copy of the stack file, and offers
 * helpers to invoke functions through the gateway and to act as admin.
 *
 * The samples have `jwt_auth=true`, so `invoke` calls them as a real caller does: a service account
 * token of the caller's identity (as `kubectl create token` gives one), exchanged at the gateway for
 * an access token, then for a function token for exactly that function (the SDK's TokenAuth does
 * both exchanges and caches them). ci:deployer (functions/callers/iam/) calls ns-admin and
 * tenant-provisioner; a test stand-in for the cron-connector (fixtures/janitor-caller.yaml) calls
 * preview-janitor.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { BasicAuth, Client, StaticTokenSource, TokenAuth } from "@node-ts-iam/sdk";
import { startSandbox, type Sandbox, type SandboxOptions } from "@node-ts-iam/sandbox";
import { repoRoot } from "./repo.js";

/** The namespace the stack deploys the sample functions to. */
export const FUNCTION_NAMESPACE = "openfaas-fn";

/** The caller identity (`<namespace>/<service account>`) that may invoke each sample. */
export const CALLERS: Readonly<Record<string, string>> = {
  "ns-admin": "ci/deployer",
  "tenant-provisioner": "ci/deployer",
  "preview-janitor": "test-callers/janitor-caller",
};

const JANITOR_CALLER_MANIFEST = resolve(import.meta.dirname, "../fixtures/janitor-caller.yaml");

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
  /**
   * Calls `<gateway>/function/<name>.openfaas-fn<path>` with a function token of the function's
   * caller ({@link CALLERS}), unless `headers` carry an `authorization` of their own or `caller` is
   * `"anonymous"`.
   */
  invoke(name: string, method: string, path: string, body?: unknown, headers?: Record<string, string>, caller?: string): Promise<Answer>;
  /** A function token for `name` (namespace openfaas-fn), obtained as `caller` (default: {@link CALLERS}). */
  functionToken(name: string, caller?: string): Promise<string>;
  /** The SDK auth of a caller identity (`<namespace>/<service account>`): its service account token, exchanged. */
  callerAuth(caller: string): Promise<TokenAuth>;
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
    sandbox = await startSandbox({
      ...options.sandbox,
      root: repoRoot,
      stackFile,
      manifestPaths: [JANITOR_CALLER_MANIFEST],
      host: "127.0.0.1",
      port: 0,
      runFunctions: true,
      log: options.log ?? (() => {}),
    });
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

  const auths = new Map<string, Promise<TokenAuth>>();
  const callerAuth = (caller: string): Promise<TokenAuth> => {
    let auth = auths.get(caller);
    if (!auth) {
      const [namespace, serviceAccount] = caller.split("/") as [string, string];
      auth = sandbox.issuer
        .mint({ namespace, serviceAccount, audience: sandbox.url })
        .then((token) => new TokenAuth({ source: new StaticTokenSource(token), tokenURL: `${sandbox.url}/oauth/token` }));
      auths.set(caller, auth);
    }
    return auth;
  };
  const functionToken = async (name: string, caller = CALLERS[name] ?? "ci/deployer"): Promise<string> =>
    (await callerAuth(caller)).forFunction(name, FUNCTION_NAMESPACE).token();

  return {
    sandbox,
    admin,
    audit,
    callerAuth,
    functionToken,
    async invoke(name, method, path, body, headers = {}, caller) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (caller !== "anonymous" && !Object.keys(headers).some((h) => h.toLowerCase() === "authorization")) {
        (init.headers as Record<string, string>)["authorization"] = `Bearer ${await functionToken(name, caller)}`;
      }
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
