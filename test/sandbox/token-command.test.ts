/**
 * `npm run token -- ci/deployer` (sandbox/dist/token-cli.js) against a running sandbox: the service
 * account token it prints (claims, audience, lifetime, usable for an exchange), its refusals, the
 * issuer's TokenRequest API behind it, and `npm start`'s printed caller recipe run as printed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startSandbox } from "../../sandbox/src/index.js";
import type { Sandbox } from "../../sandbox/src/types.js";
import { accessTokenFor, alive, basic, claimsOf, exchange, GRANT, ID_TOKEN, runCommand } from "./helpers.js";

const REPO = resolve(import.meta.dirname, "../..");
const TOKEN_CLI = resolve(REPO, "sandbox/dist/token-cli.js");
const SANDBOX_CLI = resolve(REPO, "sandbox/dist/cli.js");

/** Runs a command from the repository folder. */
const run = (file: string, args: string[], env?: NodeJS.ProcessEnv) => runCommand(file, args, env);

const token = (...args: string[]) => run(process.execPath, [TOKEN_CLI, ...args]);

describe("npm run token (sandbox/dist/token-cli.js)", () => {
  let sandbox: Sandbox;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "sandbox-token-cli-"));
    // The repository's manifests (functions/callers/iam declares ci/deployer), no function processes.
    sandbox = await startSandbox({ root: REPO, stateDir, runFunctions: false });
  });
  afterAll(async () => {
    await sandbox?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("prints a service account token like kubectl create token: the sandbox's audience, 1 h, usable for an exchange", async () => {
    const r = await token("--state-dir", stateDir, "ci/deployer");
    expect(r.code, r.stderr).toBe(0);
    const sa = r.stdout.trim();
    expect(r.stdout).toBe(`${sa}\n`);
    const claims = claimsOf(sa);
    expect(claims).toMatchObject({ iss: "https://kubernetes.default.svc.cluster.local", sub: "system:serviceaccount:ci:deployer", aud: [sandbox.url] });
    expect(Number(claims["exp"]) - Number(claims["iat"])).toBe(3600);
    expect(claims["kubernetes.io"]).toMatchObject({ namespace: "ci", serviceaccount: { name: "deployer" } });
    // One line on stderr says what was minted, never the token.
    expect(r.stderr).toMatch(/^token: system:serviceaccount:ci:deployer, audience http:\/\/127\.0\.0\.1:\d+, expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
    expect(r.stderr).not.toContain(sa.split(".")[2]!);
    const access = await accessTokenFor(sandbox.url, sa);
    expect(claimsOf(access)["policy"]).toEqual(["invoke-privileged-functions"]);
  });

  it("takes kubectl's form (-n), several --audience and a --duration", async () => {
    const r = await token("--state-dir", stateDir, "deployer", "-n", "ci", "--audience", "https://a.example", "--audience", "https://b.example", "--duration", "15m");
    expect(r.code, r.stderr).toBe(0);
    const claims = claimsOf(r.stdout.trim());
    expect(claims["aud"]).toEqual(["https://a.example", "https://b.example"]);
    expect(Number(claims["exp"]) - Number(claims["iat"])).toBe(900);
    // The gateway accepts only its own audience from the cluster issuer.
    const refused = await exchange(sandbox.url, { grant_type: GRANT, subject_token_type: ID_TOKEN, subject_token: r.stdout.trim() });
    expect(refused.status).toBe(400);
  });

  it("finds the sandbox through SANDBOX_STATE_DIR and a pod's own service account", async () => {
    const r = await run(process.execPath, [TOKEN_CLI, "openfaas-fn/ns-admin"], { ...process.env, SANDBOX_STATE_DIR: stateDir });
    expect(r.code, r.stderr).toBe(0);
    expect(claimsOf(r.stdout.trim())["sub"]).toBe("system:serviceaccount:openfaas-fn:ns-admin");
  });

  it.each([
    [["--state-dir", "STATE", "ci/nobody"], /the token request was refused \(HTTP 404\): serviceaccounts "nobody" not found/],
  ])("exits 1 naming what the issuer refused: %j", async (args, problem) => {
    const r = await token(...args.map((a) => (a === "STATE" ? stateDir : a)));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(problem);
  });

  it.each([
    [[], /name the service account, e.g\. ci\/deployer/],
    [["deployer"], /name the namespace/],
    [["ci/deployer", "-n", "dev"], /the namespace is given twice/],
    [["CI/Deployer"], /must be RFC 1123 labels/],
    [["ci/deployer", "--duration", "soon"], /--duration must be a duration/],
    [["a/b", "c/d"], /one service account at a time/],
    [["--nope"], /Unknown option '--nope'/],
    [["ci/deployer/extra"], /the service account is NAMESPACE\/NAME, one '\/'/],
    [["ci/deployer", "--duration", "5m"], /--duration must be at least 10m/],
  ])("refuses %j with exit 2 and one line saying where the usage is", async (args, problem) => {
    const r = await token(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(problem);
    expect(r.stderr).toMatch(/^token: [^\n]*\(npm run -s token -- --help\)\n$/);
  });

  it("--help prints the usage on stdout", async () => {
    const r = await token("--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run -s token/);
  });

  it("says how to start a sandbox when none runs on the state directory", async () => {
    const empty = await mkdtemp(join(tmpdir(), "sandbox-token-none-"));
    try {
      const r = await token("--state-dir", empty, "ci/deployer");
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`token: no sandbox is running on state directory ${empty}: start one with \`npm start\` in another shell, or pass the --state-dir it uses\n`);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("ignores the endpoints a sandbox killed with kill -9 left behind", async () => {
    const stale = await mkdtemp(join(tmpdir(), "sandbox-token-stale-"));
    try {
      // An owner that is gone (a pid no process has) and the endpoints it recorded.
      await writeFile(join(stale, "sandbox.pid"), JSON.stringify({ pid: 2 ** 22 + 17, startTime: "1" }));
      await writeFile(join(stale, "endpoints.json"), JSON.stringify({ gateway: sandbox.url, issuer: sandbox.issuer.url }));
      await writeFile(join(stale, "admin-password"), `${sandbox.admin.password}\n`);
      const r = await token("--state-dir", stale, "ci/deployer");
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain(`no sandbox is running on state directory ${stale}`);
    } finally {
      await rm(stale, { recursive: true, force: true });
    }
  });

  describe("the issuer's TokenRequest API", () => {
    const path = (ns: string, sa: string) => `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`;
    const admin = () => basic(sandbox);
    const post = async (p: string, body: unknown, headers: Record<string, string> = { authorization: admin(), "content-type": "application/json" }, method = "POST") => {
      const res = await fetch(`${sandbox.issuer.url}${p}`, { method, headers, ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }) });
      return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as Record<string, unknown> };
    };

    it("answers 201 with a TokenRequest whose status holds the token", async () => {
      const r = await post(path("ci", "deployer"), { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { audiences: ["x"], expirationSeconds: 600 } });
      expect(r.status).toBe(201);
      expect(r.type).toBe("application/json");
      expect(r.body).toMatchObject({ kind: "TokenRequest", apiVersion: "authentication.k8s.io/v1", metadata: { name: "deployer", namespace: "ci" }, spec: { audiences: ["x"], expirationSeconds: 600 } });
      const status = r.body["status"] as { token: string; expirationTimestamp: string };
      expect(claimsOf(status.token)["exp"]).toBe(Date.parse(status.expirationTimestamp) / 1000);
    });

    it("mints for a namespace's default service account, as Kubernetes has one everywhere", async () => {
      expect((await post(path("dev", "default"), {})).status).toBe(201);
    });

    it.each([
      ["no credential", path("ci", "deployer"), {}, { "content-type": "application/json" }, "POST", 401, "Unauthorized"],
      ["a wrong password", path("ci", "deployer"), {}, { authorization: `Basic ${Buffer.from("admin:wrong").toString("base64")}`, "content-type": "application/json" }, "POST", 401, "Unauthorized"],
      ["GET", path("ci", "deployer"), undefined, undefined, "GET", 405, "MethodNotAllowed"],
      ["malformed JSON", path("ci", "deployer"), "{", undefined, "POST", 400, "BadRequest"],
      ["another kind", path("ci", "deployer"), { kind: "Pod" }, undefined, "POST", 400, "BadRequest"],
      ["a text body", path("ci", "deployer"), "{}", "text", "POST", 415, "UnsupportedMediaType"],
      ["audiences that are not strings", path("ci", "deployer"), { spec: { audiences: [1] } }, undefined, "POST", 422, "Invalid"],
      ["a fractional lifetime", path("ci", "deployer"), { spec: { expirationSeconds: 600.5 } }, undefined, "POST", 422, "Invalid"],
      ["an undeclared service account", path("ci", "ghost"), {}, undefined, "POST", 404, "NotFound"],
      ["a name that is no label", path("ci", "De%2Fployer"), {}, undefined, "POST", 404, "NotFound"],
    ] as const)("answers %s with a Kubernetes Status", async (_label, p, body, headers, method, code, reason) => {
      const h = headers === "text" ? { authorization: admin(), "content-type": "text/plain" } : (headers ?? { authorization: admin(), "content-type": "application/json" });
      const r = await post(p, body, h, method);
      expect(r.status).toBe(code);
      expect(r.type).toBe("application/json");
      expect(r.body).toMatchObject({ kind: "Status", apiVersion: "v1", status: "Failure", reason, code });
      expect(JSON.stringify(r.body)).not.toContain(sandbox.admin.password);
    });
  });
});

describe("npm start prints a recipe that runs as printed", () => {
  const children: ChildProcess[] = [];
  let stateDir = "";
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.pid && alive(c.pid)) {
        c.kill("SIGTERM");
        await new Promise((r) => c.once("exit", r));
      }
    }
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it("in bash with failglob (zsh's 'no matches found' for an unquoted ?), on a fresh sandbox whose state folder has a space: each command answers as its comment says", async () => {
    // The harness catches what zsh refuses: an unquoted URL with a query.
    expect((await run("bash", ["-O", "failglob", "-c", "echo http://127.0.0.1:1/system/functions?namespace=x"])).code).not.toBe(0);

    stateDir = await mkdtemp(join(tmpdir(), "sandbox welcome "));
    const child = spawn(process.execPath, [SANDBOX_CLI, "--port", "0", "--state-dir", stateDir, "--root", REPO], { stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let out = "";
    let err = "";
    child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    await new Promise<void>((resolveReady, reject) => {
      child.once("exit", (code) => reject(new Error(`sandbox exited (${code}): ${err}`)));
      child.stdout!.on("data", (c: Buffer) => {
        out += c.toString();
        if (out.includes("Ctrl-C stops")) resolveReady();
      });
    });
    const url = /sandbox ready at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
    // Everything between "Try it" and the blank line before "Ctrl-C stops", comments included.
    const recipe = /\nTry it[^\n]*\n([\s\S]*?)\n\n/.exec(out)?.[1] ?? "";
    expect(recipe, out).toContain(`GW=${url}`);
    expect(recipe).toContain("ns-admin, tenant-provisioner, preview-janitor: jwt_auth=true");
    const r = await run("bash", ["-O", "failglob", "-e", "-o", "pipefail", "-c", recipe]);
    expect(r.code, `${r.stderr}\n${recipe}`).toBe(0);
    const [functions, namespaces, refusal, index, ...rest] = r.stdout.trim().split("\n");
    // The admin view lists the stack's functions; ns-admin's own token sees none of its namespaces yet.
    expect((JSON.parse(functions!) as { name: string }[]).map((f) => f.name).sort()).toEqual(["ns-admin", "preview-janitor", "tenant-provisioner"]);
    expect(namespaces).toBe("[]");
    expect(JSON.parse(refusal!)).toMatchObject({ action: "Namespace:Create", resource: "not-allowed:*" });
    // Through the watchdog with the function token: ns-admin's own index of its routes, not a 401 or a 404.
    expect(JSON.parse(index!)).toMatchObject({ service: "ns-admin", scope: ["dev"] });
    expect(rest).toEqual([]);
    const anonymous = await fetch(`${url}/function/ns-admin.openfaas-fn/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe("Bearer realm=IAM function invoke");
  });
});
