#!/usr/bin/env node
/**
 * `node-ts-iam-sandbox` (`npm start` in the checkout): starts the sandbox for the project in the current
 * folder on 127.0.0.1:8080 and prints how to use it (options: see {@link USAGE}). Ctrl-C / SIGTERM
 * stops every function process.
 */
import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { MIN_AUDIT_MAX_BYTES, parseByteSize } from "./audit-log.js";
import { parseDuration } from "./iam/manifest-loader.js";
import { PortInUseError, type PortOption } from "./runner/listen.js";
import { findStackFile, STACK_FILE_NAMES } from "./project.js";
import { startSandbox } from "./sandbox.js";
import { stateDirFor } from "./state/state-dir.js";
import type { Sandbox } from "./types.js";

const progress = (line: string): void => void process.stderr.write(`sandbox: ${line}\n`);

const USAGE = `usage: node-ts-iam-sandbox [options]     (in your project folder; in the node-ts-iam checkout: npm start -- [options])

Runs OpenFaaS with IAM on this machine for a project: the folder faas-cli works in, with its stack
file, its template/node-ts-iam/ (from faas-cli template pull) and its functions' iam/ folders. A service
account issuer, the IAM gateway, and one process per node-ts-iam function of the stack, built from the
project's own template with the sandbox's TypeScript. Options (environment variable in brackets):

  --root DIR           the project folder (default: the current folder)
  --stack FILE         the stack file (default: <root>/stack.yaml, else <root>/stack.yml, as faas-cli)
  --manifests PATH     an extra IAM manifest file or folder; repeat the flag for each path
                       (--manifests a.yaml --manifests dir/); a path already loaded is read once
  --watch              a changed file in a function's folder rebuilds and restarts that function
  --port N             gateway port; 0 = any free port (default 8080)                [SANDBOX_PORT]
  --host ADDR          interface of the gateway and the issuer (default 127.0.0.1)    [SANDBOX_HOST]
  --issuer-port N      port of the service account issuer (discovery, JWKS);
                       0 = any free port (default 0)                                 [SANDBOX_ISSUER_PORT]
  --state-dir DIR      state, audit log, admin password and pods
                       (default <root>/.sandbox)                                      [SANDBOX_STATE_DIR]
  --ephemeral          keep everything in a temporary directory removed on exit
  --time-scale N       token lifetimes and rotation run N times faster (default 1, at most
                       1000000); so do the connectors' schedules (*/15 minutes is every 15 s at 60)
  --no-connectors      do not run the connector deployments of
                       connectors/cron-connector/sandbox.yaml (they run by default)
  --audit-max-size S   rotate <state>/audit.ndjson before it passes S bytes
                       (4096, 512KiB, 10MiB; default 10MiB, at least 1KiB)           [SANDBOX_AUDIT_MAX_SIZE]
  --audit-keep N       rotated audit files kept beside the current one (default 4)   [SANDBOX_AUDIT_KEEP]
  --read-timeout D     cut a request not received whole within D (60s, 2m; default 60s, at
                       least 100ms), at the gateway and every watchdog stand-in      [SANDBOX_READ_TIMEOUT]
  -h, --help           print this help on stdout and exit

State (namespaces, functions, secrets, the audit log) stays in the state folder across restarts; to
start afresh, stop the sandbox and remove that folder (rm -rf .sandbox), or run with --ephemeral.
`;

/** The flag (or variable) behind each port setting, for a port that is taken. */
const PORT_FLAGS: Record<PortOption, string> = { port: "--port", issuerPort: "--issuer-port" };

/** Refuses the command line: one line naming the problem on stderr, exit 2 (as getopt tools do). */
function refuse(problem: string): never {
  process.stderr.write(`sandbox: ${problem} (node-ts-iam-sandbox --help lists the options)\n`);
  process.exit(2);
}

/** The folder named by a flag, which must exist and be a folder. */
function folderOption(flag: string, value: string): string {
  const dir = resolve(value);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) refuse(`${flag} ${value}: no such folder`);
  return dir;
}

/** `--time-scale`: a plain positive number (no exponent, so 1e400 cannot become Infinity), at most 10^6. */
function timeScaleOption(value: string | undefined): number {
  if (value === undefined) return 1;
  const scale = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(scale > 0) || scale > 1_000_000) refuse(`--time-scale must be a number above 0 and at most 1000000, such as 60 or 0.5 (got ${JSON.stringify(value)})`);
  return scale;
}

/** A port from a flag or its environment variable; `undefined` when neither is set. */
function portOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) refuse(`${flag} must be a port number from 0 to 65535 (got ${JSON.stringify(value)})`);
  return port;
}

/** Quotes `text` for bash and zsh: as it is when it has only safe characters, else in single quotes. */
function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

/** This checkout (sandbox/dist → ../..), whose npm scripts serve it. */
const CHECKOUT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** `npm run token` as typed where the sandbox runs: the checkout's script there, its bin from a project elsewhere. */
function tokenCommand(root: string): string {
  return root === CHECKOUT ? "npm run -s token --" : `npx --prefix ${shellQuote(CHECKOUT)} node-ts-iam-token`;
}

/**
 * The copy-paste recipe printed once the sandbox is ready. Every command runs as printed in bash and
 * in zsh (URLs in double quotes after one `GW=` line, paths quoted, so zsh's globbing never sees a
 * `?`), and each answers on a fresh sandbox as its comment says (test/sandbox/token-command.test.ts).
 */
function printWelcome(sandbox: Sandbox, root: string): void {
  const fns = sandbox.functions;
  const password = shellQuote(sandbox.adminCredentialFile);
  const exchange = (subject: string, extra: string): string[] => [
    `curl -s "$GW/oauth/token" -d grant_type=urn:ietf:params:oauth:grant-type:token-exchange \\`,
    `      -d subject_token_type=urn:ietf:params:oauth:token-type:id_token --data-urlencode ${subject}${extra} \\`,
    `      | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token'`,
  ];
  const out: string[] = [
    "",
    `OpenFaaS-with-IAM sandbox ready at ${sandbox.url}`,
    `  admin credential : user "admin", password in ${sandbox.adminCredentialFile}`,
    `  audit log        : ${sandbox.auditLog}`,
    `  issuer (k8s)     : ${sandbox.issuer.url}`,
    fns.length === 0 ? "  functions        : none running" : "  functions        :",
    ...fns.map((f) => `    - ${f.name}.${f.namespace}  ${sandbox.url}/function/${f.name}.${f.namespace}  (pid ${f.pid}, token dir ${sandbox.tokenDir(f.namespace, f.name) ?? "-"})`),
    sandbox.connectors.length === 0 ? "  connectors       : none running" : "  connectors       : (their lines follow below, prefixed openfaas/<name>:)",
    ...sandbox.connectors.map((c) => `    - ${c.namespace}/${c.name}  (pid ${c.pid}, token dir ${c.tokenDir})`),
    "",
    "Try it (bash or zsh, from the project folder):",
    `  GW=${shellQuote(sandbox.url)}`,
    `  # the admin (bootstrap) view`,
    `  curl -s -w '\\n' -u "admin:$(cat ${password})" "$GW/system/functions?namespace=openfaas-fn"`,
  ];
  const first = fns[0];
  if (first) {
    const dir = sandbox.tokenDir(first.namespace, first.name) ?? "";
    const [line1, line2, line3] = exchange(shellQuote(`subject_token@${dir}/openfaas-token`), "");
    out.push(
      `  # ${first.name} acts with its OWN identity: exchange its projected service account token ...`,
      `  TOKEN=$(${line1}`,
      `  ${line2}`,
      `  ${line3})`,
      `  # ... then call the API with it: the namespace list shows only what its policy lets it see`,
      `  curl -s -w '\\n' -H "Authorization: Bearer $TOKEN" "$GW/system/namespaces"`,
      `  # a call its policy denies: 403 {"message":..., "action":"Namespace:Create", "resource":"not-allowed:*"}`,
      `  curl -s -w '\\n' -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' "$GW/system/namespace/" -d '{"name":"not-allowed"}'`,
    );
    const open = fns.filter((f) => !f.jwtAuth);
    if (open.length > 0) {
      out.push(`  # invoke the functions (each calls the gateway with its own identity inside)`, ...open.map((f) => `  curl -s -w '\\n' "$GW/function/${f.name}.${f.namespace}/"`));
    }
    const secured = fns.filter((f) => f.jwtAuth);
    const target = secured[0];
    if (target) {
      const ci = sandbox.serviceAccounts.includes("ci/deployer");
      const [call1, call2, call3] = exchange(`"subject_token=$SA_TOKEN"`, ` -d scope=function -d audience=${target.namespace}:${target.name}`);
      out.push(
        `  # ${secured.map((f) => f.name).join(", ")}: jwt_auth=true, so only a function token for the function gets through (401 without one):`,
        `  # a caller identity as \`kubectl create token\` gives one, exchanged for a function token`,
        `  # (${ci ? "functions/callers/iam/ lets ci/deployer invoke ns-admin and tenant-provisioner" : "name a service account a Role lets invoke it"})`,
        `  SA_TOKEN=$(${tokenCommand(root)} --state-dir ${shellQuote(dirname(sandbox.adminCredentialFile))} ${ci ? "ci/deployer" : "<namespace>/<service account>"})`,
        `  FN_TOKEN=$(${call1}`,
        `  ${call2}`,
        `  ${call3})`,
        `  # ${target.name} answers GET / itself (a router's index, or a plain handler's answer)`,
        `  curl -s -w '\\n' -H "Authorization: Bearer $FN_TOKEN" "$GW/function/${target.name}.${target.namespace}/"`,
      );
    }
  } else {
    out.push(`  # no functions running: add stack.yml (lang node-ts-iam) and functions/<name>/iam/*.yaml, then restart`);
  }
  out.push("", "Ctrl-C stops the sandbox and every function process.", "");
  process.stdout.write(out.join("\n"));
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: "string" },
        host: { type: "string" },
        "issuer-port": { type: "string" },
        // Gone: function processes listen on a socket only their watchdog stand-in reaches. Kept to say so.
        "function-ports": { type: "string" },
        "state-dir": { type: "string" },
        ephemeral: { type: "boolean" },
        "time-scale": { type: "string" },
        "no-connectors": { type: "boolean" },
        stack: { type: "string" },
        manifests: { type: "string", multiple: true },
        root: { type: "string" },
        watch: { type: "boolean" },
        "audit-max-size": { type: "string" },
        "audit-keep": { type: "string" },
        "read-timeout": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    refuse((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const port = portOption("--port", values.port ?? process.env["SANDBOX_PORT"]) ?? 8080;
  const issuerPort = portOption("--issuer-port", values["issuer-port"] ?? process.env["SANDBOX_ISSUER_PORT"]) ?? 0;
  if (values["function-ports"] !== undefined || process.env["SANDBOX_FUNCTION_PORTS"]) {
    refuse("--function-ports (SANDBOX_FUNCTION_PORTS) is gone: function processes listen on a Unix socket that only their watchdog stand-in reaches, so no port of theirs is open to other programs; call a function through the gateway (/function/<name>) or its pod URL");
  }
  const auditSizeText = values["audit-max-size"] ?? process.env["SANDBOX_AUDIT_MAX_SIZE"];
  const auditKeepText = values["audit-keep"] ?? process.env["SANDBOX_AUDIT_KEEP"];
  const audit: { maxBytes?: number; keep?: number } = {};
  if (auditSizeText !== undefined && auditSizeText !== "") {
    const bytes = parseByteSize(auditSizeText);
    if (bytes === undefined || bytes < MIN_AUDIT_MAX_BYTES) refuse(`--audit-max-size must be a size of at least 1KiB such as 4096, 512KiB or 10MiB (got ${JSON.stringify(auditSizeText)})`);
    audit.maxBytes = bytes;
  }
  if (auditKeepText !== undefined && auditKeepText !== "") {
    if (!/^\d{1,4}$/.test(auditKeepText)) refuse(`--audit-keep must be a whole number of files from 0 to 9999 (got ${JSON.stringify(auditKeepText)})`);
    audit.keep = Number(auditKeepText);
  }
  const readTimeoutText = values["read-timeout"] ?? process.env["SANDBOX_READ_TIMEOUT"];
  let readTimeoutMs: number | undefined;
  if (readTimeoutText !== undefined && readTimeoutText !== "") {
    const seconds = parseDuration(readTimeoutText);
    if (seconds === undefined || seconds < 0.1 || seconds > 86_400) refuse(`--read-timeout must be a duration from 100ms to 24h such as 60s or 2m (got ${JSON.stringify(readTimeoutText)})`);
    readTimeoutMs = Math.round(seconds * 1000);
  }
  const timeScale = timeScaleOption(values["time-scale"]);
  const root = values.root === undefined ? process.cwd() : folderOption("--root", values.root);
  let stackFile: string | undefined;
  if (values.stack !== undefined) {
    stackFile = resolve(values.stack);
    if (!statSync(stackFile, { throwIfNoEntry: false })?.isFile()) refuse(`--stack ${values.stack}: no such file`);
  } else {
    stackFile = findStackFile(root);
    if (stackFile === undefined) refuse(`no ${STACK_FILE_NAMES.join(" or ")} in ${root}: run in your project folder (where faas-cli new wrote stack.yaml), or name one with --stack FILE`);
  }
  const stateDir = values.ephemeral ? undefined : stateDirFor(values["state-dir"], root);
  progress(`starting (root ${root}, state ${stateDir ?? "ephemeral"})`);
  // Signals are handled from the start: Ctrl-C during start-up still stops every child that started.
  let stopping = false;
  let started: Promise<Sandbox> | undefined;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    progress(`${signal}: stopping every function process`);
    void (started ?? Promise.reject(new Error("not started")))
      .then((sandbox) => sandbox.stop())
      .catch(() => undefined)
      .then(() => {
        progress("stopped");
        process.exit(0);
      });
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  started = startSandbox({
    root,
    host: values.host ?? process.env["SANDBOX_HOST"] ?? "127.0.0.1",
    port,
    issuerPort,
    stateDir,
    timeScale,
    connectors: !values["no-connectors"],
    audit,
    stackFile,
    watch: values.watch === true,
    ...(readTimeoutMs !== undefined ? { readTimeoutMs } : {}),
    ...(values.manifests ? { manifestPaths: values.manifests.map((m) => resolve(m)) } : {}),
    log: progress,
  });
  const sandbox = await started;
  if (!stopping) printWelcome(sandbox, root);
}

main().catch((err: Error) => {
  // A port given (or defaulted) on the command line that is taken: the flag to change, exit 2.
  if (err instanceof PortInUseError) refuse(`${PORT_FLAGS[err.option]} ${err.port}: ${err.message}; choose another (0 picks a free one)`);
  progress(`failed to start: ${err.message}`);
  process.exit(1);
});
