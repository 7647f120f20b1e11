/**
 * End to end in the sandbox: each sample function runs as its own process behind the sandbox
 * gateway with a kubelet-style projected token, and calls the gateway with that identity. Callers
 * reach the samples (jwt_auth=true) only with a function token, obtained as a real caller does
 * (support/sandbox.ts).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, StaticTokenSource, TokenAuth } from "@node-ts-iam/sdk";
import { janitorBadInputs, nsAdminBadInputs, provisionerBadInputs, type BadInput } from "./support/bad-inputs.js";
import { contractViolation } from "./support/error-contract.js";
import { CALLERS, ensureNamespaces, FUNCTION_NAMESPACE, startFunctionsSandbox, type Answer, type FunctionsSandbox } from "./support/sandbox.js";

/** The cross-site request of issue 8: what a page on another site can make a browser send without a preflight. */
const CSRF = { method: "POST", path: "/tenants", body: '{"name":"csrf"}', headers: { origin: "http://evil.example", "content-type": "text/plain" } } as const;

const subjectOf = (fn: string): string => `system:serviceaccount:${FUNCTION_NAMESPACE}:${fn}`;

function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown>;
}

interface ReportBody {
  complete: boolean;
  actions: { kind: string; name: string; outcome: string }[];
}

async function expectBadInputsRejected(env: FunctionsSandbox, fn: string, inputs: BadInput[]): Promise<void> {
  expect(inputs.length).toBeGreaterThanOrEqual(20);
  const pidBefore = env.sandbox.functions.find((f) => f.name === fn)?.pid;
  const failures: string[] = [];
  for (const input of inputs) {
    const res: Answer = await env.invoke(fn, input.method, input.path, input.body, input.headers);
    // 4xx, JSON, and the error contract: a known code, a message, only that code's details.
    const problem = res.status < 400 || res.status >= 500 ? "not 4xx" : !res.contentType.includes("application/json") ? "not JSON" : contractViolation(res.body, fn);
    if (problem !== undefined) {
      failures.push(`${input.method} ${input.path} ${JSON.stringify(input.body)} -> ${res.status} ${res.contentType} ${JSON.stringify(res.body).slice(0, 200)}: ${problem}`);
    }
  }
  expect(failures).toEqual([]);
  // 0 crashes: the same process still answers.
  expect((await env.invoke(fn, "GET", "/")).status).toBe(200);
  expect(env.sandbox.functions.find((f) => f.name === fn)?.pid).toBe(pidBefore);
}

describe("sample functions in the sandbox", () => {
  let env: FunctionsSandbox;

  beforeAll(async () => {
    env = await startFunctionsSandbox({ env: { "tenant-provisioner": { TENANT_PROVISIONER_FAULTS: "enabled" } } });
    await ensureNamespaces(env.admin, ["dev", "staging"]);
  });
  afterAll(async () => {
    await env?.stop();
  });

  it("projects each function's own service account token with the gateway audience", () => {
    for (const fn of ["ns-admin", "tenant-provisioner", "preview-janitor"]) {
      const dir = env.sandbox.tokenDir(FUNCTION_NAMESPACE, fn);
      expect(dir, fn).toBeDefined();
      const claims = decodePayload(readFileSync(join(dir!, "openfaas-token"), "utf8").trim());
      expect(claims["sub"], fn).toBe(subjectOf(fn));
      expect([claims["aud"]].flat(), fn).toContain(env.sandbox.url);
    }
  });

  describe("ns-admin (scoped to dev)", () => {
    it("deploys, scales, reads and deletes in dev with its own identity", async () => {
      const put = await env.invoke("ns-admin", "PUT", "/namespaces/dev/functions/e2e-hello", { image: "ghcr.io/openfaas/alpine:latest", labels: { app: "e2e" } });
      expect(put.status, JSON.stringify(put.body)).toBe(201);
      expect((await env.admin.getFunction("e2e-hello", "dev")).image).toBe("ghcr.io/openfaas/alpine:latest");
      const again = await env.invoke("ns-admin", "PUT", "/namespaces/dev/functions/e2e-hello", { image: "ghcr.io/openfaas/alpine:3.20" });
      expect(again.status).toBe(200);
      expect((await env.admin.getFunction("e2e-hello", "dev")).image).toBe("ghcr.io/openfaas/alpine:3.20");
      expect((await env.invoke("ns-admin", "POST", "/namespaces/dev/functions/e2e-hello/scale", { replicas: 2 })).status).toBe(202);
      const list = await env.invoke("ns-admin", "GET", "/namespaces/dev/functions");
      expect((list.body as { functions: { name: string }[] }).functions.map((f) => f.name)).toContain("e2e-hello");
      const secret = await env.invoke("ns-admin", "POST", "/namespaces/dev/secrets", { name: "e2e-secret", value: "v1" });
      expect(secret.status).toBe(201);
      expect((await env.admin.getSecrets("dev")).map((s) => s.name)).toContain("e2e-secret");
      expect((await env.invoke("ns-admin", "PUT", "/namespaces/dev/secrets/e2e-secret", { value: "v2" })).status).toBe(200);
      const secrets = await env.invoke("ns-admin", "GET", "/namespaces/dev/secrets");
      expect(secrets.body).toEqual({ namespace: "dev", secrets: [{ name: "e2e-secret" }] });
      expect((await env.invoke("ns-admin", "DELETE", "/namespaces/dev/secrets/e2e-secret")).status).toBe(200);
      expect(await env.admin.getSecrets("dev")).toEqual([]);
      const logs = await env.invoke("ns-admin", "GET", "/namespaces/dev/functions/e2e-hello/logs?tail=5");
      expect(logs.status, JSON.stringify(logs.body)).toBe(200);
      expect(Array.isArray((logs.body as { lines: unknown }).lines)).toBe(true);
      expect((await env.invoke("ns-admin", "DELETE", "/namespaces/dev/functions/e2e-hello")).status).toBe(200);
      await expect(env.admin.getFunction("e2e-hello", "dev")).rejects.toMatchObject({ code: "ERR_NOT_FOUND" });

      await env.waitForAudit((e) => e.subject.includes(subjectOf("ns-admin")) && e.action === "Function:Create" && e.resource.startsWith("dev:") && e.allowed);
    });

    it("lists only its namespaces", async () => {
      const res = await env.invoke("ns-admin", "GET", "/namespaces");
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect((res.body as { namespaces: string[] }).namespaces).toEqual(["dev"]);
    });

    it("refuses staging with its own guard, before any gateway call", async () => {
      // Marker calls bracket the refused one: the audit log is one ordered stream, so once the second
      // marker's entry is on disk, anything the refused call caused would be on disk before it.
      const marker = async (name: string) => {
        await env.invoke("ns-admin", "GET", `/namespaces/dev/functions/${name}`);
        return env.waitForAudit((e) => e.subject.includes(subjectOf("ns-admin")) && e.resource === `dev:${name}`);
      };
      const before = (await marker("marker-before")).length;
      const res = await env.invoke("ns-admin", "PUT", "/namespaces/staging/functions/e2e-hello", { image: "ghcr.io/openfaas/alpine:latest" });
      expect(res.status).toBe(403);
      expect((res.body as { code: string }).code).toBe("NAMESPACE_NOT_ALLOWED");
      expect(contractViolation(res.body, "ns-admin")).toBeUndefined();
      const between = (await marker("marker-after")).slice(before);
      expect(between.filter((e) => e.subject.includes(subjectOf("ns-admin")) && e.resource.startsWith("staging"))).toEqual([]);
      expect(between.some((e) => e.resource === "dev:marker-after")).toBe(true);
    });

    it("answers >= 20 bad inputs with 4xx JSON and does not crash", async () => {
      await expectBadInputsRejected(env, "ns-admin", nsAdminBadInputs);
    });
  });

  describe("tenant-provisioner", () => {
    it("creates tenant-acme with its secrets and starter functions", async () => {
      const res = await env.invoke("tenant-provisioner", "POST", "/tenants", { name: "acme", labels: { tier: "gold" } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect((res.body as ReportBody).complete).toBe(true);
      const ns = await env.admin.getNamespace("tenant-acme");
      expect(ns.labels?.["node-ts-iam.dev/tenant"]).toBe("acme");
      expect(ns.labels?.["tier"]).toBe("gold");
      expect((await env.admin.getSecrets("tenant-acme")).map((s) => s.name)).toEqual(["tenant-api-key"]);
      expect((await env.admin.getFunctions("tenant-acme")).map((f) => f.name)).toEqual(["hello"]);
      await env.waitForAudit((e) => e.subject.includes(subjectOf("tenant-provisioner")) && e.action === "Namespace:Create" && e.resource.startsWith("tenant-acme") && e.allowed);
    });

    it("converges on a repeat, creating nothing twice", async () => {
      const res = await env.invoke("tenant-provisioner", "POST", "/tenants", { name: "acme", labels: { tier: "gold" } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect((res.body as ReportBody).actions.map((a) => a.outcome)).toEqual(["unchanged", "unchanged", "unchanged"]);
      expect((await env.admin.getFunctions("tenant-acme")).map((f) => f.name)).toEqual(["hello"]);
    });

    it("converges a changed label and a drifted starter function (Namespace:Update, Function:Update)", async () => {
      const hello = await env.admin.getFunction("hello", "tenant-acme");
      const drifted = "ghcr.io/openfaas/nodeinfo:drifted";
      await env.admin.update({ service: "hello", namespace: "tenant-acme", image: drifted, labels: hello.labels ?? {}, annotations: hello.annotations ?? {}, envVars: hello.envVars ?? {}, secrets: hello.secrets ?? [] });
      const res = await env.invoke("tenant-provisioner", "POST", "/tenants", { name: "acme", labels: { tier: "platinum" } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect((res.body as ReportBody).actions.map((a) => `${a.kind}:${a.outcome}`)).toEqual(["namespace:updated", "secret:unchanged", "function:updated"]);
      expect((await env.admin.getNamespace("tenant-acme")).labels?.["tier"]).toBe("platinum");
      expect((await env.admin.getFunction("hello", "tenant-acme")).image).toBe("ghcr.io/openfaas/nodeinfo:latest");
    });

    it("creates nothing twice when the same tenant is requested concurrently", async () => {
      const answers = await Promise.all(Array.from({ length: 4 }, () => env.invoke("tenant-provisioner", "POST", "/tenants", { name: "race" })));
      expect(answers.map((a) => a.status).every((status) => status === 200 || status === 201), JSON.stringify(answers.map((a) => a.body))).toBe(true);
      const created = answers.flatMap((a) => (a.body as ReportBody).actions).filter((a) => a.outcome === "created");
      expect(created.map((a) => `${a.kind}:${a.name}`).sort()).toEqual(["function:hello", "namespace:tenant-race", "secret:tenant-api-key"]);
      expect((await env.admin.getFunctions("tenant-race")).map((f) => f.name)).toEqual(["hello"]);
      expect((await env.invoke("tenant-provisioner", "DELETE", "/tenants/race")).status).toBe(200);
    });

    it("lists and shows tenants", async () => {
      const list = await env.invoke("tenant-provisioner", "GET", "/tenants");
      expect(list.status, JSON.stringify(list.body)).toBe(200);
      expect((list.body as { tenants: { name: string }[] }).tenants.map((t) => t.name)).toContain("acme");
      const show = await env.invoke("tenant-provisioner", "GET", "/tenants/acme");
      expect((show.body as { functions: { name: string }[] }).functions.map((f) => f.name)).toEqual(["hello"]);
    });

    it("converges after a fault injected part-way", async () => {
      const failed = await env.invoke("tenant-provisioner", "POST", "/tenants", { name: "beta" }, { "content-type": "application/json", "x-fault-after-steps": "2" });
      expect(failed.status).toBe(503);
      expect(contractViolation(failed.body, "tenant-provisioner")).toBeUndefined();
      expect((failed.body as { code: string; report: ReportBody }).report.actions.map((a) => a.outcome)).toEqual(["created", "created"]);
      expect(await env.admin.getFunctions("tenant-beta")).toEqual([]);
      const resumed = await env.invoke("tenant-provisioner", "POST", "/tenants", { name: "beta" });
      expect(resumed.status, JSON.stringify(resumed.body)).toBe(201);
      expect((resumed.body as ReportBody).actions.map((a) => `${a.kind}:${a.outcome}`)).toEqual(["namespace:unchanged", "secret:unchanged", "function:created"]);
      expect((await env.admin.getFunctions("tenant-beta")).map((f) => f.name)).toEqual(["hello"]);
    });

    it("cannot touch dev: its API cannot name it and its identity is refused there", async () => {
      const res = await env.invoke("tenant-provisioner", "DELETE", "/tenants/dev");
      expect(res.status).toBe(404);
      const token = await env.sandbox.issuer.mint({ namespace: FUNCTION_NAMESPACE, serviceAccount: "tenant-provisioner", audience: env.sandbox.url });
      const asProvisioner = new Client({ gatewayURL: env.sandbox.url, auth: new TokenAuth({ source: new StaticTokenSource(token), tokenURL: `${env.sandbox.url}/oauth/token` }) });
      await expect(asProvisioner.getFunctions("dev")).rejects.toMatchObject({ code: "ERR_FORBIDDEN" });
      await expect(asProvisioner.deploy({ service: "sneaky", image: "x:1", namespace: "dev" })).rejects.toMatchObject({ code: "ERR_FORBIDDEN" });
      await expect(asProvisioner.createNamespace({ name: "not-a-tenant" })).rejects.toMatchObject({ code: "ERR_FORBIDDEN" });
    });

    it("deletes a tenant: functions, secrets, then namespace, also after a fault part-way", async () => {
      const failed = await env.invoke("tenant-provisioner", "DELETE", "/tenants/beta", undefined, { "x-fault-after-steps": "1" });
      expect(failed.status).toBe(503);
      expect((failed.body as { report: ReportBody }).report.actions.map((a) => `${a.kind}:${a.outcome}`)).toEqual(["function:deleted"]);
      expect(await env.admin.getFunctions("tenant-beta")).toEqual([]);
      const res = await env.invoke("tenant-provisioner", "DELETE", "/tenants/beta");
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect((res.body as ReportBody).actions.map((a) => `${a.kind}:${a.outcome}`)).toEqual(["secret:deleted", "namespace:deleted"]);
      await expect(env.admin.getNamespace("tenant-beta")).rejects.toMatchObject({ code: "ERR_NOT_FOUND" });
    });

    it("answers >= 20 bad inputs with 4xx JSON and does not crash", async () => {
      await expectBadInputsRejected(env, "tenant-provisioner", provisionerBadInputs);
    });
  });

  describe("function authentication (jwt_auth=true on every sample)", () => {
    it("refuses a caller without a function token: 401 with the watchdog's challenge, for each sample", async () => {
      for (const fn of Object.keys(CALLERS)) {
        const res = await fetch(`${env.sandbox.url}/function/${fn}.${FUNCTION_NAMESPACE}/`, { method: "POST" });
        expect(res.status, fn).toBe(401);
        expect(res.headers.get("www-authenticate"), fn).toBe("Bearer realm=IAM function invoke");
      }
    });

    it("answers the cross-site request of issue 8 with 401 and creates nothing", async () => {
      const res = await env.invoke("tenant-provisioner", CSRF.method, CSRF.path, CSRF.body, { ...CSRF.headers }, "anonymous");
      expect(res.status).toBe(401);
      await expect(env.admin.getNamespace("tenant-csrf")).rejects.toMatchObject({ code: "ERR_NOT_FOUND" });
      // With a function token the same text/plain body is refused by the handler kit: 415.
      const typed = await env.invoke("tenant-provisioner", CSRF.method, CSRF.path, CSRF.body, { ...CSRF.headers });
      expect(typed.status).toBe(415);
      expect(typed.body).toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE" });
      expect(contractViolation(typed.body, "tenant-provisioner")).toBeUndefined();
      await expect(env.admin.getNamespace("tenant-csrf")).rejects.toMatchObject({ code: "ERR_NOT_FOUND" });
    });

    it("refuses ci:deployer's token for ns-admin at tenant-provisioner (403), and any API access token (403)", async () => {
      const forNsAdmin = await env.functionToken("ns-admin");
      const res = await env.invoke("tenant-provisioner", "GET", "/tenants", undefined, { authorization: `Bearer ${forNsAdmin}` });
      expect(res.status).toBe(403);
      expect(res.body).toBe("insufficient permissions\n");
      const access = await (await env.callerAuth("ci/deployer")).token();
      expect((await env.invoke("ns-admin", "GET", "/namespaces", undefined, { authorization: `Bearer ${access}` })).status).toBe(403);
    });

    it("gives function tokens only for what a caller may invoke: not the janitor to ci:deployer, nothing to ns-admin's identity", async () => {
      await expect(env.functionToken("preview-janitor", "ci/deployer")).rejects.toMatchObject({ code: "ERR_OAUTH", error: "invalid_target" });
      await expect(env.functionToken("tenant-provisioner", "openfaas-fn/ns-admin")).rejects.toMatchObject({ code: "ERR_OAUTH", error: "invalid_target" });
      await env.waitForAudit((e) => e.action === "Token:Exchange" && !e.allowed && e.subject.includes("system:serviceaccount:ci:deployer"));
    });

    it("lets a plain Node program invoke ns-admin with the SDK (functionTokens: true), as the README shows", async () => {
      const client = new Client({ gatewayURL: env.sandbox.url, auth: await env.callerAuth("ci/deployer"), functionTokens: true });
      const res = await client.invokeFunction("ns-admin", FUNCTION_NAMESPACE, { method: "GET", path: "/namespaces" });
      expect(res.status).toBe(200);
      expect(JSON.parse(Buffer.from(res.body).toString("utf8"))).toEqual({ namespaces: ["dev"] });
      // Queued: the gateway accepts it, the pod's watchdog checks the function token when the call runs.
      const queued = await client.invokeFunction("ns-admin", FUNCTION_NAMESPACE, { async: true, path: "/namespaces" });
      expect(queued.status).toBe(202);
    });
  });

  describe("preview-janitor", () => {
    it("deletes expired previews in dev and keeps the rest", async () => {
      const preview = (service: string, expiresAt: string) => ({
        service,
        namespace: "dev",
        image: "ghcr.io/openfaas/alpine:latest",
        labels: { "node-ts-iam.dev/preview": "true" },
        annotations: { "node-ts-iam.dev/expires-at": expiresAt },
      });
      await env.admin.deploy(preview("pr-expired", "2020-01-01T00:00:00Z"));
      await env.admin.deploy(preview("pr-live", "2999-01-01T00:00:00Z"));
      const res = await env.invoke("preview-janitor", "POST", "/", "", { "content-type": "text/plain" });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const names = (await env.admin.getFunctions("dev")).map((f) => f.name);
      expect(names).toContain("pr-live");
      expect(names).not.toContain("pr-expired");
      await env.waitForAudit((e) => e.subject.includes(subjectOf("preview-janitor")) && e.action === "Function:Delete" && e.allowed);
    });

    it("answers >= 20 bad inputs with 4xx JSON and does not crash", async () => {
      await expectBadInputsRejected(env, "preview-janitor", janitorBadInputs);
    });
  });
});

describe("sample functions in the sandbox: a refused identity", () => {
  let env: FunctionsSandbox;

  beforeAll(async () => {
    env = await startFunctionsSandbox();
  });
  afterAll(async () => {
    await env?.stop();
  });

  it("never write a refused subject token to an answer or their logs", async () => {
    const routes: Record<string, string> = { "ns-admin": "/namespaces", "tenant-provisioner": "/tenants", "preview-janitor": "/" };
    for (const [fn, path] of Object.entries(routes)) {
      // A well-formed token the sandbox's issuer never signed, written where the kubelet projects it.
      const canarySignature = `canarySig${fn.replace(/-/g, "")}7c1e`;
      const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString("base64url");
      const now = Math.floor(Date.now() / 1000);
      const canary = `${part({ alg: "RS256", typ: "JWT" })}.${part({ iss: "https://kubernetes.default.svc.cluster.local", sub: subjectOf(fn), aud: [env.sandbox.url], iat: now, exp: now + 3600 })}.${canarySignature}`;
      writeFileSync(join(env.sandbox.tokenDir(FUNCTION_NAMESPACE, fn)!, "openfaas-token"), canary);
      const res = await env.invoke(fn, "GET", path);
      expect(res.status, `${fn} ${JSON.stringify(res.body)}`).toBe(502);
      expect((res.body as { code: string }).code).toBe("GATEWAY_AUTH_FAILED");
      expect(contractViolation(res.body, fn)).toBeUndefined();
      expect(JSON.stringify(res.body)).not.toContain(canarySignature);
      const lines: string[] = [];
      for await (const line of env.admin.getLogs({ name: fn, namespace: FUNCTION_NAMESPACE })) lines.push(line.text);
      const text = lines.join("\n");
      expect(text, fn).toContain("GATEWAY_AUTH_FAILED");
      expect(text, fn).not.toContain(canarySignature);
    }
  });
});

describe("ns-admin with its guard off (ALLOWED_NAMESPACES=*), tenant-provisioner without jwt_auth", () => {
  let env: FunctionsSandbox;

  beforeAll(async () => {
    env = await startFunctionsSandbox({
      only: ["ns-admin", "tenant-provisioner"],
      env: { "ns-admin": { ALLOWED_NAMESPACES: "*" }, "tenant-provisioner": { jwt_auth: "false" } },
    });
    await ensureNamespaces(env.admin, ["dev", "staging"]);
  });
  afterAll(async () => {
    await env?.stop();
  });

  it("is refused in staging by the gateway, with the gateway's reason", async () => {
    const res = await env.invoke("ns-admin", "PUT", "/namespaces/staging/functions/e2e-hello", { image: "ghcr.io/openfaas/alpine:latest" });
    expect(res.status, JSON.stringify(res.body)).toBe(403);
    expect((res.body as { code: string }).code).toBe("GATEWAY_FORBIDDEN");
    expect(contractViolation(res.body, "ns-admin")).toBeUndefined();
    await env.waitForAudit((e) => e.subject.includes(subjectOf("ns-admin")) && e.resource.startsWith("staging") && !e.allowed);
    await expect(env.admin.getFunction("e2e-hello", "staging")).rejects.toMatchObject({ code: "ERR_NOT_FOUND" });
  });

  it("still works in dev", async () => {
    const res = await env.invoke("ns-admin", "GET", "/namespaces/dev/functions");
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it("without jwt_auth, answers the cross-site request of issue 8 with 415 (the handler kit) and creates nothing", async () => {
    const res = await env.invoke("tenant-provisioner", CSRF.method, CSRF.path, CSRF.body, { ...CSRF.headers }, "anonymous");
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE" });
    await expect(env.admin.getNamespace("tenant-csrf")).rejects.toMatchObject({ code: "ERR_NOT_FOUND" });
  });
});
