import { lstat, readFile, readlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogEntrySchema } from "../../sandbox/src/schema/api-schemas.js";
import type { Sandbox } from "../../sandbox/src/types.js";
import { alive, basic, call, claimsOf, expectSchema, startFixtureSandbox } from "./helpers.js";

let sandbox: Sandbox;
let admin: string;
const logLines: string[] = [];

beforeAll(async () => {
  process.env["FIXTURE_GREETING"] = "hi from the stack";
  sandbox = await startFixtureSandbox({ runFunctions: true, log: (l) => logLines.push(l) });
  admin = basic(sandbox);
}, 60_000);
afterAll(async () => {
  delete process.env["FIXTURE_GREETING"];
  const pids = sandbox?.functions.map((f) => f.pid) ?? [];
  await sandbox?.stop();
  for (const pid of pids) expect(alive(pid)).toBe(false);
});

describe("function runner", () => {
  it("builds and starts the stack's node-ts-iam function in its namespace", () => {
    expect(sandbox.functions).toEqual([expect.objectContaining({ name: "whoami", namespace: "dev" })]);
    expect(logLines.some((l) => l.includes("secret(s) api-key not found in dev"))).toBe(true);
  });

  it("projects the service account token with the kubelet layout", async () => {
    const dir = sandbox.tokenDir("dev", "whoami")!;
    expect((await lstat(join(dir, "openfaas-token"))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(dir, "openfaas-token"))).toBe(join("..data", "openfaas-token"));
    expect(await readlink(join(dir, "..data"))).toMatch(/^\.\.\d{4}_\d{2}_\d{2}_/);
    const claims = claimsOf(await readFile(join(dir, "openfaas-token"), "utf8"));
    expect(claims).toMatchObject({ sub: "system:serviceaccount:dev:whoami", aud: [sandbox.url], iss: "https://kubernetes.default.svc.cluster.local" });
    expect(Number(claims["exp"]) - Number(claims["iat"])).toBe(3600);
  });

  it("gives the function its env from the stack, OPENFAAS_* and a secret file that follows API updates", async () => {
    const before = await call(sandbox.url, "GET", "/function/whoami.dev/env", "");
    expect(before.status).toBe(200);
    expect(before.json).toMatchObject({ name: "whoami", namespace: "dev", greeting: "hi from the stack", secret: null, url: sandbox.url, tokenDir: sandbox.tokenDir("dev", "whoami") });
    expect((await call(sandbox.url, "POST", "/system/secrets", admin, { name: "api-key", namespace: "dev", value: "k-123" })).status).toBe(202);
    expect(((await call(sandbox.url, "GET", "/function/whoami.dev/env", "")).json as { secret: string }).secret).toBe("k-123");
  });

  it("mounts secrets with the kubelet's atomic ..data layout, following updates and deletion", async () => {
    const secretDir = join(dirname(sandbox.tokenDir("dev", "whoami")!), "secrets");
    expect(await readlink(join(secretDir, "api-key"))).toBe(join("..data", "api-key"));
    expect((await call(sandbox.url, "PUT", "/system/secrets", admin, { name: "api-key", namespace: "dev", value: "k-456" })).status).toBe(202);
    expect(((await call(sandbox.url, "GET", "/function/whoami.dev/env", "")).json as { secret: string }).secret).toBe("k-456");
    expect((await call(sandbox.url, "DELETE", "/system/secrets", admin, { name: "api-key", namespace: "dev" })).status).toBe(202);
    expect(((await call(sandbox.url, "GET", "/function/whoami.dev/env", "")).json as { secret: string | null }).secret).toBeNull();
    expect((await call(sandbox.url, "POST", "/system/secrets", admin, { name: "api-key", namespace: "dev", value: "k-123" })).status).toBe(202);
  });

  it("mounts rawValue when a secret carries both value and rawValue (faas-cli --from-file), as faas-netes does", async () => {
    const raw = "line one\nline two\n";
    const body = { name: "api-key", namespace: "dev", value: raw.trim(), rawValue: Buffer.from(raw).toString("base64") };
    expect((await call(sandbox.url, "PUT", "/system/secrets", admin, body)).status).toBe(202);
    expect(((await call(sandbox.url, "GET", "/function/whoami.dev/env", "")).json as { secret: string }).secret).toBe(raw);
    expect((await call(sandbox.url, "PUT", "/system/secrets", admin, { name: "api-key", namespace: "dev", value: "k-123" })).status).toBe(202);
  });

  it("lets the function act with its own identity: exchange, then an authorised API call", async () => {
    const r = await call(sandbox.url, "POST", "/function/whoami.dev", "");
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ exchange: 200, list: 200 });
    expect(r.headers.get("x-call-id")).toBeTruthy();
    const denied = await call(sandbox.url, "GET", "/function/whoami.dev?namespace=openfaas-fn", "");
    expect(denied.json).toMatchObject({ exchange: 200, list: 403, body: { action: "Function:List", resource: "openfaas-fn:*" } });
    const status = (await call(sandbox.url, "GET", "/system/function/whoami?namespace=dev", admin)).json as { invocationCount: number; availableReplicas: number };
    expect(status.invocationCount).toBeGreaterThanOrEqual(2);
    expect(status.availableReplicas).toBe(1);
  });

  it("feeds function output to /system/logs, with follow", async () => {
    const controller = new AbortController();
    const res = await fetch(`${sandbox.url}/system/logs?name=whoami&namespace=dev&follow=true&tail=1`, { headers: { authorization: admin }, signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expectSchema(JSON.parse(first.trim().split("\n")[0]!), LogEntrySchema);
    await call(sandbox.url, "GET", "/function/whoami.dev/followed", "");
    let text = "";
    while (!text.includes("whoami called: /followed")) text += new TextDecoder().decode((await reader.read()).value);
    const entry = JSON.parse(text.trim().split("\n").find((l) => l.includes("/followed"))!) as Record<string, unknown>;
    expectSchema(entry, LogEntrySchema);
    expect(entry).toMatchObject({ name: "whoami", namespace: "dev" });
    controller.abort();
  });

  it("starts a deployment of a stack image under another name; scale to 0 stops it", async () => {
    const image = "fixture.local/whoami:latest";
    expect((await call(sandbox.url, "POST", "/system/functions", admin, { service: "whoami2", image, namespace: "dev", annotations: { "com.openfaas.serviceaccount": "whoami" } })).status).toBe(202);
    const fn = sandbox.functions.find((f) => f.name === "whoami2")!;
    expect(fn).toBeDefined();
    expect(((await call(sandbox.url, "GET", "/system/function/whoami2?namespace=dev", admin)).json as { availableReplicas: number }).availableReplicas).toBe(1);
    expect((await call(sandbox.url, "POST", "/system/scale-function/whoami2", admin, { serviceName: "whoami2", namespace: "dev", replicas: 0 })).status).toBe(202);
    expect(alive(fn.pid)).toBe(false);
    expect((await call(sandbox.url, "GET", "/function/whoami2.dev", "")).status).toBe(503);
    expect((await call(sandbox.url, "POST", "/system/scale-function/whoami2", admin, { serviceName: "whoami2", namespace: "dev", replicas: 1 })).status).toBe(202);
    expect((await call(sandbox.url, "GET", "/function/whoami2.dev/env", "")).json).toMatchObject({ name: "whoami2" });
    expect((await call(sandbox.url, "DELETE", "/system/functions", admin, { functionName: "whoami2", namespace: "dev" })).status).toBe(202);
    expect(sandbox.functions.some((f) => f.name === "whoami2")).toBe(false);
  });

  it("delivers async invocations to the X-Callback-Url", async () => {
    const { createServer } = await import("node:http");
    const received = new Promise<{ headers: Record<string, unknown>; body: string }>((resolve) => {
      const server = createServer((req, res) => {
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString()));
        req.on("end", () => {
          res.end();
          server.close();
          resolve({ headers: req.headers, body });
        });
      }).listen(0, "127.0.0.1", async () => {
        const port = (server.address() as { port: number }).port;
        const r = await fetch(`${sandbox.url}/async-function/whoami.dev/env`, { method: "POST", headers: { "x-callback-url": `http://127.0.0.1:${port}/cb` }, body: "{}" });
        expect(r.status).toBe(202);
      });
    });
    const got = await received;
    expect(got.headers["x-function-status"]).toBe("200");
    expect(got.headers["x-call-id"]).toBeTruthy();
    expect(JSON.parse(got.body)).toMatchObject({ name: "whoami" });
  });
});
