import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox } from "../../sandbox/src/index.js";
import { faasCliDeployRequest, templateFprocess } from "../../sandbox/src/runner/stack-deployment.js";
import { loadStack } from "../../sandbox/src/runner/stack.js";
import type { Sandbox } from "../../sandbox/src/types.js";
import { faasCli, type CliResult } from "./support/peers.js";

// The real faas-cli 0.18.12 against a started sandbox (issue 11): every command a developer uses,
// each run with a HOME of its own. The sandbox serves this repository's stack.yml and functions, as
// `npm start` does; faas-cli runs in the repository root where it needs stack.yml and the template.

const REPO = resolve(import.meta.dirname, "../..");
const STACK = join(REPO, "stack.yml");
const NS_ADMIN_IMAGE = "ttl.sh/node-ts-iam/ns-admin:latest";
let sandbox: Sandbox;
const homes: string[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ root: REPO, runFunctions: true, port: 0 });
}, 120_000);
afterAll(async () => {
  await sandbox?.stop();
  for (const h of homes) await rm(h, { recursive: true, force: true });
});

/** A fresh HOME for one faas-cli user (its login lives in $HOME/.openfaas). */
async function newHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), "node-ts-iam-faas-cli-"));
  homes.push(home);
  return home;
}

/** A fresh HOME logged in to the sandbox as the admin. */
async function loggedIn(): Promise<string> {
  const home = await newHome();
  const r = await faasCli(["login", "-g", sandbox.url, "-u", "admin", "--password-stdin"], { home, stdin: sandbox.admin.password });
  expect(r.code, r.stderr).toBe(0);
  return home;
}

/** Runs faas-cli against the sandbox; `cwd` defaults to HOME (no stack.yml there, so flags alone decide). */
function cli(home: string, args: string[], options: { cwd?: string; stdin?: string } = {}): Promise<CliResult> {
  return faasCli(args, { home, env: { OPENFAAS_URL: sandbox.url }, ...options });
}

function expectOk(r: CliResult): void {
  expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(0);
}

describe("faas-cli deploy -f stack.yml and the sandbox's start-up deploy", () => {
  it("send the same body for every function (recorded from the real faas-cli)", async () => {
    const bodies = new Map<string, unknown>();
    const recorder: Server = createServer((req, res) => {
      let text = "";
      req.on("data", (c: Buffer) => (text += c.toString()));
      req.on("end", () => {
        // Answer the rolling update (PUT) "not found" so faas-cli creates (POST), as for a first deploy.
        if (req.method === "POST" && req.url === "/system/functions") bodies.set((JSON.parse(text) as { service: string }).service, JSON.parse(text));
        res.writeHead(req.method === "PUT" ? 404 : 202);
        res.end();
      });
    });
    await new Promise<void>((r) => recorder.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;
      const r = await faasCli(["deploy", "-f", STACK, "-g", url], { home: await newHome(), cwd: REPO });
      expectOk(r);
    } finally {
      await new Promise((r) => recorder.close(r));
    }
    const stack = await loadStack(STACK);
    expect([...bodies.keys()].sort()).toEqual(stack.functions.map((f) => f.name).sort());
    for (const f of stack.functions) expect(faasCliDeployRequest(f, await templateFprocess([REPO], f.lang))).toEqual(bodies.get(f.name));
  });

  it("leave faas-cli diff with no difference right after start; describe shows the process and limits", async () => {
    const home = await loggedIn();
    const diff = await cli(home, ["diff", "-f", STACK], { cwd: REPO });
    expectOk(diff);
    expect(diff.stdout).toContain("YAML matches deployment, no differences found.");
    const described = await cli(home, ["describe", "ns-admin", "-g", sandbox.url]);
    expectOk(described);
    expect(described.stdout).toMatch(/Status:\s+Ready/);
    // The template's own fprocess (template.yml), as faas-cli sent it: not a copy of it here.
    const fprocess = await templateFprocess([REPO], "node-ts-iam");
    expect(fprocess).toMatch(/^node /);
    expect(described.stdout).toContain(`Function Process:   ${fprocess}\n`);
    expect(described.stdout).toMatch(/Memory: 128Mi/);
    expect(described.stdout).toContain("com.openfaas.serviceaccount: ns-admin");
  });
});

describe("faas-cli against a started sandbox", () => {
  it("login saves the credential; a wrong password is refused", async () => {
    const home = await loggedIn();
    expect(await readFile(join(home, ".openfaas", "config.yml"), "utf8")).toContain(sandbox.url);
    const bad = await faasCli(["login", "-g", sandbox.url, "-u", "admin", "--password-stdin"], { home: await newHome(), stdin: "not-the-password" });
    expect(bad.code).not.toBe(0);
  });

  it("deploy -f stack.yml updates every function, list shows them, diff stays clean", async () => {
    const home = await loggedIn();
    const deploy = await cli(home, ["deploy", "-f", STACK], { cwd: REPO });
    expectOk(deploy);
    expect(deploy.stdout.match(/Deployed\. 202 Accepted\./g)).toHaveLength(3);
    const list = await cli(home, ["list", "-g", sandbox.url]);
    expectOk(list);
    for (const name of ["ns-admin", "tenant-provisioner", "preview-janitor"]) expect(list.stdout).toMatch(new RegExp(`^${name}\\s+\\d+\\s+1`, "m"));
    const diff = await cli(home, ["diff", "-f", STACK], { cwd: REPO });
    expectOk(diff);
    expect(diff.stdout).toContain("no differences found");
  });

  it("invoke reaches the function's watchdog, which wants a function token (jwt_auth; faas-cli-invoke-jwt.test.ts has --auth)", async () => {
    const home = await loggedIn();
    const r = await cli(home, ["invoke", "ns-admin", "-m", "GET", "-g", sandbox.url], { stdin: "" });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain("Server returned unexpected status code: 401 - Bearer must be present in Authorization header");
  });

  it("logs prints the function's lines", async () => {
    const home = await loggedIn();
    const r = await cli(home, ["logs", "ns-admin", "--tail=false", "-g", sandbox.url]);
    expectOk(r);
    expect(r.stdout).toMatch(/node-ts-iam: listening on \/\S+\/sockets\/[0-9a-f]{12}\.sock, handler /);
  });

  it("secret create (--from-literal and --from-file), list, update and remove; the pod sees the file's exact bytes", async () => {
    const home = await loggedIn();
    const file = join(home, "secret.txt");
    await writeFile(file, "  line one\nline two\n");
    expectOk(await cli(home, ["secret", "create", "from-file", "--from-file", file, "-g", sandbox.url]));
    expectOk(await cli(home, ["secret", "create", "literal", "--from-literal", "hello", "-g", sandbox.url]));
    const list = await cli(home, ["secret", "list", "-g", sandbox.url]);
    expectOk(list);
    expect(list.stdout).toMatch(/^from-file$/m);
    expect(list.stdout).toMatch(/^literal$/m);

    // A function mounting the secret (the ns-admin image under another name) reads rawValue, untrimmed.
    const deploy = await cli(home, ["deploy", "--image", NS_ADMIN_IMAGE, "--name", "probe", "--secret", "from-file", "-g", sandbox.url]);
    expectOk(deploy);
    const secretFile = () => join(dirname(sandbox.tokenDir("openfaas-fn", "probe")!), "secrets", "from-file");
    expect(await readFile(secretFile(), "utf8")).toBe("  line one\nline two\n");
    await writeFile(file, "rotated\n");
    expectOk(await cli(home, ["secret", "update", "from-file", "--from-file", file, "-g", sandbox.url]));
    // faas-cli's update sends only `value`, trimmed (commands/secret_update.go), unlike create --from-file.
    expect(await readFile(secretFile(), "utf8")).toBe("rotated");

    expectOk(await cli(home, ["secret", "remove", "literal", "-g", sandbox.url]));
    const after = await cli(home, ["secret", "list", "-g", sandbox.url]);
    expect(after.stdout).not.toMatch(/^literal$/m);
    expect(after.stdout).toMatch(/^from-file$/m);
  });

  it("remove deletes a function and stops its process", async () => {
    const home = await loggedIn();
    const pid = sandbox.functions.find((f) => f.name === "probe")?.pid;
    expect(pid).toBeDefined();
    expectOk(await cli(home, ["remove", "probe", "-g", sandbox.url]));
    const list = await cli(home, ["list", "-g", sandbox.url]);
    expect(list.stdout).not.toMatch(/^probe\s/m);
    expect(sandbox.functions.some((f) => f.name === "probe")).toBe(false);
    expectOk(await cli(home, ["secret", "remove", "from-file", "-g", sandbox.url]));
  });

  it("namespace create, list, get, update and remove", async () => {
    const home = await loggedIn();
    expectOk(await cli(home, ["namespace", "create", "team-x", "--label", "tier=gold", "--annotation", "owner=me", "-g", sandbox.url]));
    const list = await cli(home, ["namespace", "list", "-g", sandbox.url]);
    expectOk(list);
    expect(list.stdout).toMatch(/- team-x/);
    const got = await cli(home, ["namespace", "get", "team-x", "-g", sandbox.url]);
    expectOk(got);
    expect(got.stdout).toMatch(/tier: gold/);
    expect(got.stdout).toMatch(/openfaas: 1/);
    expect(got.stdout).toMatch(/owner: me/);
    expectOk(await cli(home, ["namespace", "update", "team-x", "--label", "tier=silver", "-g", sandbox.url]));
    expect((await cli(home, ["namespace", "get", "team-x", "-g", sandbox.url])).stdout).toMatch(/tier: silver/);
    expectOk(await cli(home, ["namespace", "remove", "team-x", "-g", sandbox.url]));
    const gone = await cli(home, ["namespace", "get", "team-x", "-g", sandbox.url]);
    expect(gone.code).not.toBe(0);
    expect(gone.stdout + gone.stderr).toMatch(/team-x not found/);
  });
});
