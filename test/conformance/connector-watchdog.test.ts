/**
 * The cron-connector against the real of-watchdog 0.10.1 with `jwt_auth`: a scheduled function that
 * the gateway lists WITHOUT `jwt_auth` (faas-netes lists no env vars at all) is refused by the
 * watchdog with its own challenge (401, `WWW-Authenticate: Bearer realm=IAM function invoke`); the
 * connector recognises it, invokes again at once with a function token exchanged at the sandbox,
 * which the real watchdog accepts, and keeps doing so on every later tick.
 *
 * The watchdog fetches the issuer's discovery from http://127.0.0.1:8000 (`jwt_auth_local`), so the
 * sandbox gateway listens there under the machine-wide `port-8000` lock; a small front routes
 * `/function/guarded.openfaas-fn` to the watchdog and everything else to the sandbox.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BasicAuth, Client } from "@node-ts-iam/sdk";
import { startSandbox, type Sandbox } from "@node-ts-iam/sandbox";
import { connectorManifests } from "../../connectors/cron-connector/src/deploy/manifests.js";
import { repoRoot } from "../functions/support/repo.js";
import { freePort, machineLock, peerEnv, startWatchdog, type Watchdog } from "./support/peers.js";

const GATEWAY_PORT = 8000;

let releasePort: (() => void) | undefined;
let sandbox: Sandbox | undefined;
let watchdog: Watchdog | undefined;
let front: Server | undefined;
let connector: ChildProcess | undefined;
let output = "";
let upstreamRequests = 0;
// Made in beforeAll, so that collecting the tests (vitest list) leaves nothing in /tmp.
let dir: string;

/** Forwards a request to 127.0.0.1:`port` as it came. */
function forward(port: number): RequestListener {
  return (req, res) => {
    const upstream = request({ host: "127.0.0.1", port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "connector-watchdog-"));
  releasePort = await machineLock("port-8000");
  // The connector's IAM objects as rendered for a cluster: it may list openfaas-fn and invoke guarded.
  const objects = connectorManifests({ gatewayURL: `http://127.0.0.1:${GATEWAY_PORT}`, namespaces: ["openfaas-fn"], invoke: ["openfaas-fn:guarded"], image: "local" });
  writeFileSync(join(dir, "connector.yaml"), objects.filter((o) => o.kind !== "Deployment").map((o) => stringify(o)).join("---\n"));
  sandbox = await startSandbox({ root: repoRoot, stackFile: null, port: GATEWAY_PORT, runFunctions: false, manifestPaths: [join(dir, "connector.yaml")] });
  const admin = new Client({ gatewayURL: sandbox.url, auth: new BasicAuth(sandbox.admin.username, sandbox.admin.password) });
  // Listed without envVars, as faas-netes lists every function.
  await admin.deploy({ service: "guarded", image: "ghcr.io/example/guarded:1", namespace: "openfaas-fn", annotations: { topic: "cron-function", schedule: "@every 1s" } });

  // The function behind the watchdog: counts the calls that reach it.
  const upstreamPort = await freePort();
  const script = join(dir, "function.mjs");
  writeFileSync(
    script,
    `import { createServer } from "node:http";
createServer((req, res) => { req.resume(); req.on("end", () => { console.log("function called"); res.writeHead(200, { "content-type": "application/json" }).end('{"swept":0}'); }); }).listen(${upstreamPort}, "127.0.0.1");`,
  );
  watchdog = await startWatchdog({
    cwd: dir,
    env: {
      fprocess: `${process.execPath} ${script}`,
      upstream_url: `http://127.0.0.1:${upstreamPort}`,
      jwt_auth: "true",
      jwt_auth_local: "true",
      OPENFAAS_NAME: "guarded",
      OPENFAAS_NAMESPACE: "openfaas-fn",
    },
  });

  const toWatchdog = forward(watchdog.port);
  const toGateway = forward(GATEWAY_PORT);
  front = createServer((req, res) => (req.url?.startsWith("/function/guarded.openfaas-fn") ? toWatchdog(req, res) : toGateway(req, res)));
  await new Promise<void>((r) => front!.listen(0, "127.0.0.1", () => r()));

  const tokens = join(dir, "tokens");
  mkdirSync(tokens);
  writeFileSync(join(tokens, "openfaas-token"), await sandbox.issuer.mint({ namespace: "openfaas", serviceAccount: "cron-connector" }));
  connector = spawn(process.execPath, [join(repoRoot, "connectors", "cron-connector", "dist", "main.js")], {
    env: peerEnv({ gateway_url: `http://127.0.0.1:${(front.address() as AddressInfo).port}`, token_mount_path: tokens, rebuild_interval: "500ms", namespaces: "openfaas-fn" }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [connector.stdout!, connector.stderr!]) stream.on("data", (c: Buffer) => (output += c.toString()));

  const answered = (): number => output.split("\n").filter((l) => /Response: guarded\.openfaas-fn \[200\]/.test(l)).length;
  const deadline = Date.now() + 30_000;
  while (answered() < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  upstreamRequests = watchdog.logs().split("\n").filter((l) => l.includes("function called")).length;
}, 90_000);

afterAll(async () => {
  if (connector && connector.exitCode === null) {
    connector.kill("SIGTERM");
    await new Promise((r) => connector!.once("exit", r));
  }
  await watchdog?.stop();
  await new Promise<void>((r) => (front ? front.close(() => r()) : r()));
  await sandbox?.stop();
  releasePort?.();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the connector and the real of-watchdog with jwt_auth", () => {
  it("learns from the watchdog's 401 challenge and invokes with a function token the watchdog accepts, on every tick", () => {
    const lines = output.split("\n");
    expect(lines.filter((l) => l.includes("Function auth: guarded.openfaas-fn answered 401 for a function token (jwt_auth)"))).toHaveLength(1);
    expect(lines.filter((l) => /Response: guarded\.openfaas-fn \[200\]/.test(l)).length).toBeGreaterThanOrEqual(3);
    expect(lines.filter((l) => /Response: guarded\.openfaas-fn \[40[13]\]|Error: /.test(l))).toEqual([]);
    // The watchdog refused exactly one call (the first, without a token) and let the others through.
    expect(watchdog!.logs().match(/401 ACCESS DENIED/g) ?? []).toHaveLength(1);
    expect(upstreamRequests).toBeGreaterThanOrEqual(3);
  });
});
