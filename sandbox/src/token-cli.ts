#!/usr/bin/env node
/**
 * `npm run token -- ci/deployer`: prints a service account token from the running sandbox's issuer,
 * as `kubectl create token deployer -n ci` does on a cluster (see {@link USAGE}). It finds the
 * sandbox through its state directory (`endpoints.json`, written by the sandbox that owns it) and
 * asks the issuer's TokenRequest API with the sandbox's admin credential.
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ADMIN_PASSWORD_FILE, ADMIN_USER } from "./admin-credential.js";
import { parseDuration } from "./iam/manifest-loader.js";
import { MAX_EXPIRATION_SECONDS, MIN_EXPIRATION_SECONDS } from "./issuer/service-account-issuer.js";
import { isRfc1123Label } from "./names.js";
import { readEndpoints } from "./state/endpoints.js";
import { liveOwner } from "./state/owner-lock.js";
import { stateDirFor } from "./state/state-dir.js";

const USAGE = `usage: npm run -s token -- [options] NAMESPACE/SERVICE_ACCOUNT     (or: node sandbox/dist/token-cli.js ...)
       npm run -s token -- [options] SERVICE_ACCOUNT -n NAMESPACE

Prints a service account token of the running sandbox (npm start, in another shell) on stdout, as
\`kubectl create token SERVICE_ACCOUNT -n NAMESPACE\` does on a cluster. The service account must be
declared in the IAM manifests the sandbox loaded (functions/*/iam/*.yaml, --manifests).

  -n, --namespace NS   namespace, when the argument is a bare service account name
  --audience AUD       audience (aud) of the token; repeat for several
                       (default: the sandbox gateway URL, the audience its kubernetes JwtIssuer accepts)
  --duration D         lifetime such as 10m, 1h or 1h30m (default 1h; at least 10m, as Kubernetes requires)
  --state-dir DIR      the state directory of the sandbox (default <root>/.sandbox)  [SANDBOX_STATE_DIR]
  --root DIR           default: the current folder
  -h, --help           print this help on stdout and exit
`;

/** Exit 2 with one line: the problem, and where the usage is. */
function refuse(problem: string): never {
  process.stderr.write(`token: ${problem} (npm run -s token -- --help)\n`);
  process.exit(2);
}

/** Exit 1 with one line saying what went wrong and what to do. */
function fail(problem: string): never {
  process.stderr.write(`token: ${problem}\n`);
  process.exit(1);
}

interface KubernetesStatus {
  kind?: string;
  message?: string;
  spec?: { audiences?: string[] };
  status?: { token?: string; expirationTimestamp?: string };
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        namespace: { type: "string", short: "n" },
        audience: { type: "string", multiple: true },
        duration: { type: "string" },
        "state-dir": { type: "string" },
        root: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    // parseArgs may explain over several lines: one line here.
    refuse((err as Error).message.replace(/\s*\n\s*/g, " "));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (positionals.length !== 1) refuse(positionals.length === 0 ? "name the service account, e.g. ci/deployer" : `one service account at a time (got ${positionals.length})`);
  const parts = positionals[0]!.split("/");
  if (parts.length > 2) refuse(`the service account is NAMESPACE/NAME, one '/' (got ${JSON.stringify(positionals[0]!.slice(0, 200))})`);
  const [first, second] = parts;
  const namespace = second === undefined ? values.namespace : first;
  const name = second === undefined ? first : second;
  if (second !== undefined && values.namespace !== undefined && values.namespace !== first) refuse(`the namespace is given twice (${first} and ${values.namespace})`);
  if (namespace === undefined) refuse(`name the namespace: ${name}/… or -n NAMESPACE`);
  if (!isRfc1123Label(namespace) || !isRfc1123Label(name ?? "")) refuse(`namespace and service account must be RFC 1123 labels (got ${JSON.stringify(positionals[0])})`);
  let expirationSeconds: number | undefined;
  if (values.duration !== undefined) {
    const seconds = parseDuration(values.duration);
    if (seconds === undefined) refuse(`--duration must be a duration such as 10m, 1h or 1h30m (got ${JSON.stringify(values.duration)})`);
    expirationSeconds = Math.round(seconds);
    // Kubernetes' bounds for a TokenRequest, checked here so a typo is a usage error, not a refusal.
    if (expirationSeconds < MIN_EXPIRATION_SECONDS || expirationSeconds > MAX_EXPIRATION_SECONDS) {
      refuse(`--duration must be at least 10m and at most ${MAX_EXPIRATION_SECONDS} s (got ${JSON.stringify(values.duration)})`);
    }
  }
  const audiences = values.audience ?? [];
  if (audiences.some((a) => a === "")) refuse("--audience must not be empty");

  const stateDir = stateDirFor(values["state-dir"], resolve(values.root ?? process.cwd()));
  const startHint = "start one with `npm start` in another shell, or pass the --state-dir it uses";
  if (!(await liveOwner(stateDir))) fail(`no sandbox is running on state directory ${stateDir}: ${startHint}`);
  const endpoints = await readEndpoints(stateDir);
  if (!endpoints) fail(`the sandbox on ${stateDir} has not published its endpoints yet (still starting?); try again once it prints "ready"`);
  let password: string;
  try {
    password = (await readFile(join(stateDir, ADMIN_PASSWORD_FILE), "utf8")).trim();
  } catch (err) {
    fail(`cannot read the admin credential in ${stateDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }

  const url = `${endpoints.issuer}/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from(`${ADMIN_USER}:${password}`).toString("base64")}` },
      body: JSON.stringify({
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { ...(audiences.length > 0 ? { audiences } : {}), ...(expirationSeconds !== undefined ? { expirationSeconds } : {}) },
      }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    fail(`cannot reach the sandbox's issuer at ${endpoints.issuer} (${cause}): is the sandbox on ${stateDir} still running?`);
  }
  let body: KubernetesStatus = {};
  try {
    body = (await res.json()) as KubernetesStatus;
  } catch {
    // described below by the status alone
  }
  const token = body.status?.token;
  if (res.status !== 201 || typeof token !== "string") fail(`the token request was refused (HTTP ${res.status}): ${body.message ?? "no message"}`);
  process.stderr.write(`token: system:serviceaccount:${namespace}:${name}, audience ${(body.spec?.audiences ?? []).join(", ")}, expires ${body.status?.expirationTimestamp ?? "?"}\n`);
  process.stdout.write(`${token}\n`);
}

main().catch((err: Error) => fail(err.message));
