#!/usr/bin/env node
/**
 * `npm start`: starts the sandbox on 127.0.0.1:8080 (flags `--port`, `--host`, `--state-dir`,
 * `--ephemeral`, `--time-scale`, `--stack`, `--manifests`; env `SANDBOX_PORT`, `SANDBOX_HOST`,
 * `SANDBOX_STATE_DIR`) and prints how to use it. Ctrl-C / SIGTERM stops every function process.
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startSandbox } from "./sandbox.js";
import type { Sandbox } from "./types.js";

const progress = (line: string): void => void process.stderr.write(`sandbox: ${line}\n`);

function usage(): never {
  process.stderr.write(
    "usage: node sandbox/dist/cli.js [--port 8080] [--host 127.0.0.1] [--state-dir .sandbox | --ephemeral] [--time-scale 1] [--stack stack.yml] [--manifests path ...]\n",
  );
  process.exit(2);
}

function printWelcome(sandbox: Sandbox): void {
  const fns = sandbox.functions;
  const out: string[] = [
    "",
    `OpenFaaS-with-IAM sandbox ready at ${sandbox.url}`,
    `  admin credential : user "admin", password in ${sandbox.adminCredentialFile}`,
    `  audit log        : ${sandbox.auditLog}`,
    `  issuer (k8s)     : ${sandbox.issuer.url}`,
    fns.length === 0 ? "  functions        : none running" : "  functions        :",
    ...fns.map((f) => `    - ${f.name}.${f.namespace}  ${sandbox.url}/function/${f.name}.${f.namespace}  (pid ${f.pid}, token dir ${sandbox.tokenDir(f.namespace, f.name) ?? "-"})`),
    "",
    "Try it:",
    `  # the admin (bootstrap) view`,
    `  curl -s -u admin:$(cat ${sandbox.adminCredentialFile}) ${sandbox.url}/system/functions?namespace=openfaas-fn`,
  ];
  const first = fns[0];
  if (first) {
    const dir = sandbox.tokenDir(first.namespace, first.name);
    out.push(
      `  # ${first.name} acts with its OWN identity: exchange its projected service account token ...`,
      `  TOKEN=$(curl -s ${sandbox.url}/oauth/token -d grant_type=urn:ietf:params:oauth:grant-type:token-exchange \\`,
      `      -d subject_token_type=urn:ietf:params:oauth:token-type:id_token --data-urlencode subject_token@${dir}/openfaas-token \\`,
      `      | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
      `  # ... then call the API with it: the namespace list shows only what its policy lets it see`,
      `  curl -s -H "Authorization: Bearer $TOKEN" ${sandbox.url}/system/namespaces`,
      `  # a call its policy denies: 403 {"message":..., "action":"Namespace:Create", "resource":"not-allowed:*"}`,
      `  curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' ${sandbox.url}/system/namespace/ -d '{"name":"not-allowed"}'`,
      `  # invoke the functions (each calls the gateway with its own identity inside)`,
      ...fns.map((f) => `  curl -s ${sandbox.url}/function/${f.name}.${f.namespace}/`),
    );
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
        "state-dir": { type: "string" },
        ephemeral: { type: "boolean" },
        "time-scale": { type: "string" },
        stack: { type: "string" },
        manifests: { type: "string", multiple: true },
        root: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    progress((err as Error).message);
    usage();
  }
  if (values.help) usage();
  const port = Number(values.port ?? process.env["SANDBOX_PORT"] ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage();
  const timeScale = Number(values["time-scale"] ?? 1);
  const root = resolve(values.root ?? process.cwd());
  const stateDir = values.ephemeral ? undefined : resolve(values["state-dir"] ?? process.env["SANDBOX_STATE_DIR"] ?? join(root, ".sandbox"));
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
    stateDir,
    timeScale,
    ...(values.stack ? { stackFile: resolve(values.stack) } : {}),
    ...(values.manifests ? { manifestPaths: values.manifests.map((m) => resolve(m)) } : {}),
    log: progress,
  });
  const sandbox = await started;
  if (!stopping) printWelcome(sandbox);
}

main().catch((err: Error) => {
  progress(`failed to start: ${err.message}`);
  process.exit(1);
});
