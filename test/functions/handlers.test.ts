/**
 * The compiled handlers, loaded as the template loads them, calling a fake gateway on 127.0.0.1:0
 * through the real SDK (`gatewayClient()` from env): the token exchange with the projected token,
 * bearer calls, error mapping, and canary tokens that never reach an answer or a log line.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { FunctionContext, FunctionEvent, Handler } from "@node-ts-iam/sdk";
import { startFakeGateway, type FakeGatewayServer } from "./support/fake-gateway-server.js";
import { repoRoot } from "./support/repo.js";

/** An unsigned-looking JWT whose signature part is a recognisable canary. */
function canaryJwt(claims: Record<string, unknown>, signature: string): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part({ exp: Math.floor(Date.now() / 1000) + 3600, iat: Math.floor(Date.now() / 1000), ...claims })}.${signature}`;
}
const SUBJECT_CANARY = canaryJwt({ sub: "system:serviceaccount:openfaas-fn:ns-admin", aud: ["http://gw"] }, "subjectCanary7f3a");
const ACCESS_CANARY = canaryJwt({ sub: "fed:system:serviceaccount:openfaas-fn:ns-admin" }, "accessCanary91bd");

interface Captured {
  status: number;
  headers: Record<string, unknown>;
  body: unknown;
}

async function call(handler: Handler, method: string, path: string, body?: unknown): Promise<Captured> {
  let status = 200;
  let headers: Record<string, unknown> = {};
  let answered: unknown;
  const context = {
    status(code?: number) {
      if (code === undefined) return status;
      status = code;
      return context;
    },
    headers(value?: Record<string, unknown>) {
      if (value === undefined) return headers;
      headers = value;
      return context;
    },
    succeed(value?: unknown) {
      answered = value;
    },
    fail(value?: unknown) {
      answered = String(value);
      if (status < 400) status = 500;
    },
  } as unknown as FunctionContext;
  const event: FunctionEvent = { body, headers: body === undefined ? {} : { "content-type": "application/json" }, method, path, query: {} };
  await handler(event, context, () => {});
  return { status, headers, body: answered };
}

describe("handlers with the real SDK against a fake gateway", () => {
  let gateway: FakeGatewayServer;
  let dir: string;
  let nsAdmin: Handler;
  let provisioner: Handler;
  const logged: string[] = [];

  beforeAll(async () => {
    gateway = await startFakeGateway({ subjectToken: SUBJECT_CANARY, accessToken: ACCESS_CANARY, denied: ["staging", "tenant-denied"] });
    dir = mkdtempSync(join(tmpdir(), "functions-handlers-"));
    writeFileSync(join(dir, "openfaas-token"), `${SUBJECT_CANARY}\n`);
    process.env["OPENFAAS_URL"] = gateway.url;
    process.env["OPENFAAS_TOKEN_FILE"] = join(dir, "openfaas-token");
    process.env["ALLOWED_NAMESPACES"] = "dev staging";
    const load = async (name: string): Promise<Handler> =>
      ((await import(pathToFileURL(join(repoRoot, "functions", name, "dist", "handler.js")).href)) as { default: Handler }).default;
    nsAdmin = await load("ns-admin");
    provisioner = await load("tenant-provisioner");
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
        logged.push(String(chunk));
        return true;
      });
    }
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await gateway?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("ns-admin deploys and reads in dev with the exchanged token", async () => {
    const put = await call(nsAdmin, "PUT", "/namespaces/dev/functions/hello", { image: "ghcr.io/acme/hello:1" });
    expect(put).toMatchObject({ status: 201, body: { action: "created" } });
    expect(put.headers["content-type"]).toMatch(/application\/json/);
    expect(gateway.functions.get("dev/hello")?.image).toBe("ghcr.io/acme/hello:1");
    const got = await call(nsAdmin, "GET", "/namespaces/dev/functions/hello");
    expect(got).toMatchObject({ status: 200, body: { name: "hello", image: "ghcr.io/acme/hello:1" } });
    expect((await call(nsAdmin, "POST", "/namespaces/dev/functions/hello/scale", { replicas: 3 })).status).toBe(202);
    expect(gateway.functions.get("dev/hello")?.replicas).toBe(3);
    expect((await call(nsAdmin, "PUT", "/namespaces/dev/functions/hello", { image: "ghcr.io/acme/hello:2" })).body).toMatchObject({ action: "updated" });
  });

  it("ns-admin passes on the gateway's 403 with its reason (SDK ForbiddenError)", async () => {
    const res = await call(nsAdmin, "GET", "/namespaces/staging/functions");
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: "GATEWAY_FORBIDDEN", reason: "forbidden: may not act on staging:*" });
  });

  it("ns-admin maps SDK NotFound and Conflict", async () => {
    expect((await call(nsAdmin, "GET", "/namespaces/dev/functions/missing")).body).toMatchObject({ code: "NOT_FOUND" });
    await call(nsAdmin, "POST", "/namespaces/dev/secrets", { name: "k", value: "v" });
    const again = await call(nsAdmin, "POST", "/namespaces/dev/secrets", { name: "k", value: "v" });
    expect(again).toMatchObject({ status: 409, body: { code: "CONFLICT" } });
  });

  it("the provisioner converges through the real SDK", async () => {
    const first = await call(provisioner, "POST", "/tenants", { name: "acme" });
    expect(first.status).toBe(201);
    const second = await call(provisioner, "POST", "/tenants", { name: "acme" });
    expect(second.status).toBe(200);
    expect((second.body as { actions: { outcome: string }[] }).actions.every((a) => a.outcome === "unchanged")).toBe(true);
    expect(gateway.namespaces.get("tenant-acme")?.labels["node-ts-iam.dev/tenant"]).toBe("acme");
    const denied = await call(provisioner, "POST", "/tenants", { name: "denied" });
    // The report comes from the provisioner's own toApiError: handler.ts's one serveApi layer ran it.
    expect(denied).toMatchObject({ status: 403, body: { code: "GATEWAY_FORBIDDEN", report: { tenant: "denied", complete: false, actions: [] } } });
  });

  it("answers 502 GATEWAY_AUTH_FAILED when its token is refused, without leaking tokens anywhere", async () => {
    // The gateway drops the cached access token; the SDK re-exchanges with the token file, which now
    // holds a subject the token endpoint refuses.
    gateway.rotateAccessToken(canaryJwt({ sub: "fed:rotated" }, "rotatedAccessCanary"));
    writeFileSync(join(dir, "openfaas-token"), `${canaryJwt({ sub: "system:serviceaccount:openfaas-fn:other" }, "wrongSubjectCanary55c1")}\n`);
    const logsBefore = logged.length;
    const refused = await call(nsAdmin, "GET", "/namespaces/dev/secrets");
    expect(refused).toMatchObject({ status: 502, body: { code: "GATEWAY_AUTH_FAILED" } });
    // One error layer, one line per 5xx answer, named by handler.ts's options.
    expect(logged.slice(logsBefore).join("")).toBe("ns-admin: GET /namespaces/dev/secrets -> 502 GATEWAY_AUTH_FAILED (cause ERR_OAUTH)\n");
    const all = [
      ...logged,
      ...gateway.calls,
      JSON.stringify(refused),
      JSON.stringify(await call(provisioner, "DELETE", "/tenants/nobody")),
    ].join("\n");
    expect(logged.join("")).toMatch(/GATEWAY_AUTH_FAILED/);
    for (const canary of [SUBJECT_CANARY, ACCESS_CANARY, "subjectCanary7f3a", "accessCanary91bd", "wrongSubjectCanary55c1", "rotatedAccessCanary"]) {
      expect(all).not.toContain(canary);
    }
  });
});
