import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox } from "../../sandbox/src/index.js";
import type { Sandbox } from "../../sandbox/src/types.js";
import { accessTokenFor, basic, bearer, call, FIXTURE_ROOT, startFixtureSandbox, TEMPLATE_SERVER } from "./helpers.js";

// On a cluster a pod's variables reach only its container; here a function is a host process, so a
// deployment must not set what the host's loader, Node.js or the pod wiring honours (issue 11, item 5).

let sandbox: Sandbox;
let admin: string;
let deployer: string;
let work: string;
const logLines: string[] = [];
const IMAGE = "fixture.local/whoami:latest";
const HOST_CANARY = "SANDBOX_HOST_ONLY_CANARY";
const marker = () => join(work, "pwned");
/** NODE_OPTIONS that would run code on the host: it writes `file` (the marker unless a control run says otherwise). */
const importAttack = (file = marker()) =>
  `--import=data:text/javascript;base64,${Buffer.from(`import{writeFileSync}from"node:fs";writeFileSync(${JSON.stringify(file)},"pwned")`).toString("base64")}`;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "sandbox-isolation-"));
  // A deployer identity like ns-admin: it may create and update functions in dev.
  await writeFile(
    join(work, "deployer.yaml"),
    [
      "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: deployer, namespace: dev}",
      'apiVersion: iam.openfaas.com/v1\nkind: Policy\nmetadata: {name: dev-deployer, namespace: openfaas}\nspec:\n  statement:\n    - {sid: deploy, effect: Allow, action: ["Function:Create", "Function:Update", "Function:Get", "Function:List"], resource: ["dev:*"]}',
      'apiVersion: iam.openfaas.com/v1\nkind: Role\nmetadata: {name: deployer, namespace: openfaas}\nspec: {policy: [dev-deployer], principal: {"jwt:sub": ["system:serviceaccount:dev:deployer"]}}',
    ].join("\n---\n"),
  );
  // A state written before this rule: a recorded deployment that carries NODE_OPTIONS.
  const stateDir = join(work, "state");
  await mkdir(stateDir);
  const legacy = { service: "legacy", image: IMAGE, namespace: "dev", envVars: { NODE_OPTIONS: importAttack() }, constraints: [], secrets: [], labels: {}, annotations: {} };
  await writeFile(
    join(stateDir, "state.json"),
    JSON.stringify({
      version: 1,
      namespaces: [{ name: "openfaas-fn", labels: { openfaas: "1" }, annotations: { openfaas: "1" } }, { name: "dev", labels: { openfaas: "1" }, annotations: { openfaas: "1" } }],
      functions: [{ deployment: legacy, replicas: 1, createdAt: new Date().toISOString() }],
      secrets: [],
    }),
  );
  process.env[HOST_CANARY] = "must-not-reach-a-pod";
  sandbox = await startFixtureSandbox({ runFunctions: true, stateDir, manifestPaths: [join(work, "deployer.yaml")], log: (l) => logLines.push(l) });
  delete process.env[HOST_CANARY];
  admin = basic(sandbox);
  deployer = bearer(await accessTokenFor(sandbox.url, await sandbox.issuer.mint({ namespace: "dev", serviceAccount: "deployer" })));
}, 60_000);
afterAll(async () => {
  await sandbox?.stop();
  await rm(work, { recursive: true, force: true });
});

describe("deployments cannot reach the host or another pod", () => {
  it("uses an attack that works (control: a plain node process given it writes the file)", () => {
    const control = join(work, "control");
    execFileSync(process.execPath, ["-e", "0"], { env: { PATH: process.env["PATH"] ?? "", NODE_OPTIONS: importAttack(control) } });
    expect(existsSync(control)).toBe(true);
  });

  it("does not start a recorded deployment that sets a reserved variable (a state from before the rule)", () => {
    expect(sandbox.functions.map((f) => f.name)).toEqual(["whoami"]);
    expect(logLines.join("\n")).toMatch(/function legacy\.dev did not start: environment variable NODE_OPTIONS is not allowed in the sandbox/);
    expect(existsSync(marker())).toBe(false);
  });

  it.each([
    "token_mount_path",
    "secret_mount_path",
    "OPENFAAS_TOKEN_FILE",
    "OPENFAAS_URL",
    "OPENFAAS_NAME",
    "OPENFAAS_NAMESPACE",
    "http_port",
    "http_host",
    "http_socket",
    "HANDLER_PATH",
    "NODE_OPTIONS",
    "NODE_PATH",
    "NODE_EXTRA_CA_CERTS",
    "node_options",
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "DYLD_INSERT_LIBRARIES",
    "PATH",
    "HOME",
    "TMPDIR",
    "TMP",
    "TEMP",
    "OPENSSL_CONF",
    "GLIBC_TUNABLES",
  ])("refuses %s with 400 naming the variable (create and update)", async (name) => {
    for (const method of ["POST", "PUT"]) {
      const r = await call(sandbox.url, method, "/system/functions", admin, { service: "whoami", image: IMAGE, namespace: "dev", envVars: { [name]: "/x" } });
      expect(r.status, r.text).toBe(400);
      expect(r.json).toMatchObject({ field: `envVars.${name}`, message: expect.stringContaining(`environment variable ${name} is not allowed`) });
    }
  });

  it("keeps the settings a function legitimately tunes", async () => {
    const envVars = { ready_path: "/_/ready", write_timeout: "5s", RAW_BODY: "false", LANG: "C.UTF-8", GREETING: "ok" };
    const r = await call(sandbox.url, "POST", "/system/functions", admin, { service: "tuned", image: "x/other:1", namespace: "dev", envVars });
    expect(r.status, r.text).toBe(202);
  });

  it("probes a ready_path without a leading slash on the pod itself (as the template serves it), never on another host", async () => {
    const r = await call(sandbox.url, "POST", "/system/functions", admin, { service: "ready-path", image: IMAGE, namespace: "dev", envVars: { ready_path: "@example.invalid/_/ready" } });
    expect(r.status, r.text).toBe(202);
    expect(sandbox.functions.some((f) => f.name === "ready-path")).toBe(true);
    expect((await call(sandbox.url, "DELETE", "/system/functions", admin, { functionName: "ready-path", namespace: "dev" })).status).toBe(202);
  });

  it("refuses the NODE_OPTIONS --import attack deployed with a function's own identity, and runs nothing", async () => {
    const r = await call(sandbox.url, "POST", "/system/functions", deployer, { service: "evil", image: IMAGE, namespace: "dev", envVars: { NODE_OPTIONS: importAttack() } });
    expect(r.status, r.text).toBe(400);
    expect(r.json).toMatchObject({ field: "envVars.NODE_OPTIONS" });
    expect((await call(sandbox.url, "GET", "/system/function/evil?namespace=dev", deployer)).status).toBe(404);
    expect(sandbox.functions.some((f) => f.name === "evil")).toBe(false);
    expect(existsSync(marker())).toBe(false);
  });

  it("refuses OPENFAAS_TOKEN_FILE pointing at another pod's token; a pod acts and is audited only as itself", async () => {
    const whoamiToken = join(sandbox.tokenDir("dev", "whoami")!, "openfaas-token");
    const stolen = await call(sandbox.url, "POST", "/system/functions", deployer, {
      service: "thief",
      image: IMAGE,
      namespace: "dev",
      annotations: { "com.openfaas.serviceaccount": "deployer" },
      envVars: { OPENFAAS_TOKEN_FILE: whoamiToken },
    });
    expect(stolen.status, stolen.text).toBe(400);
    expect(stolen.json).toMatchObject({ field: "envVars.OPENFAAS_TOKEN_FILE" });

    // The same function without the variable runs as its own service account.
    const ok = await call(sandbox.url, "POST", "/system/functions", deployer, { service: "thief", image: IMAGE, namespace: "dev", annotations: { "com.openfaas.serviceaccount": "deployer" } });
    expect(ok.status, ok.text).toBe(202);
    const auditBefore = (await readFile(sandbox.auditLog, "utf8")).length;
    const acted = await call(sandbox.url, "GET", "/function/thief.dev", "");
    expect(acted.json).toMatchObject({ exchange: 200, list: 200 });
    const lines = (await readFile(sandbox.auditLog, "utf8")).slice(auditBefore).trim().split("\n").map((l) => JSON.parse(l) as { subject: string; action: string });
    expect(lines.filter((l) => l.action === "Function:List").map((l) => l.subject)).toEqual(["fed:system:serviceaccount:dev:deployer"]);
    expect(lines.some((l) => l.subject.includes(":whoami"))).toBe(false);
  });

  it("gives every process only its own pod's paths and none of the host's other variables", async () => {
    const mine = (await call(sandbox.url, "GET", "/function/thief.dev/env", "")).json as Record<string, unknown>;
    const other = (await call(sandbox.url, "GET", "/function/whoami.dev/env", "")).json as Record<string, unknown>;
    const pod = dirname(sandbox.tokenDir("dev", "thief")!);
    expect(mine).toMatchObject({ tokenDir: join(pod, "tokens"), secretDir: join(pod, "secrets"), home: join(pod, "home"), tmp: join(pod, "tmp"), name: "thief", namespace: "dev" });
    expect(other["tokenDir"]).toBe(sandbox.tokenDir("dev", "whoami"));
    expect(other["home"]).not.toBe(mine["home"]);
    const names = mine["names"] as string[];
    expect(names).not.toContain(HOST_CANARY);
    expect(names.filter((n) => /^(NODE_OPTIONS|LD_|OPENFAAS_TOKEN_FILE$)/.test(n))).toEqual([]);
  });
});

describe("the same rule for stack.yml", () => {
  it("stops start-up naming the file, function and variable, and changes no state", async () => {
    const root = join(work, "root");
    await mkdir(join(root, "state"), { recursive: true });
    const stack = join(root, "stack.yml");
    await writeFile(stack, "functions:\n  fn:\n    lang: node-ts-iam\n    handler: ./fn\n    image: x/fn:1\n    namespace: dev\n    environment:\n      OPENFAAS_TOKEN_FILE: /var/secrets/other/openfaas-token\n");
    const state = JSON.stringify({ version: 1, namespaces: [{ name: "openfaas-fn", labels: {}, annotations: {} }], functions: [], secrets: [] });
    await writeFile(join(root, "state", "state.json"), state);
    await expect(startSandbox({ root, stateDir: join(root, "state"), runFunctions: false, templateServer: TEMPLATE_SERVER })).rejects.toThrow(
      `${stack}: functions.fn.environment.OPENFAAS_TOKEN_FILE: environment variable OPENFAAS_TOKEN_FILE is not allowed in the sandbox`,
    );
    expect(await readFile(join(root, "state", "state.json"), "utf8")).toBe(state);
  });

  it("accepts the fixture stack (no reserved variable in a legitimate stack)", async () => {
    const sb = await startSandbox({ root: FIXTURE_ROOT, runFunctions: false, templateServer: TEMPLATE_SERVER });
    await sb.stop();
  });
});
