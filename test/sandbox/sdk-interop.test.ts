import { BasicAuth, Client, ConflictError, ForbiddenError, NotFoundError, OAuthError, ServiceAccountTokenSource, StaticTokenSource, TokenAuth, UnexpectedStatusError } from "@node-ts-iam/sdk";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../sandbox/src/types.js";
import { startFixtureSandbox } from "./helpers.js";

let sandbox: Sandbox;
let admin: Client;

beforeAll(async () => {
  // Tokens rotate every ~0.5 s (600 s lifetime at timeScale 1000): the SDK must keep up.
  sandbox = await startFixtureSandbox({ runFunctions: true, timeScale: 1000, tokenExpirationSeconds: 600 });
  admin = new Client({ gatewayURL: sandbox.url, auth: new BasicAuth(sandbox.admin.username, sandbox.admin.password), retries: 0 });
}, 60_000);
afterAll(async () => {
  await sandbox?.stop();
});

describe("the SDK Client against the sandbox", () => {
  it("drives every admin method", async () => {
    await admin.createNamespace({ name: "sdk-ns", labels: { team: "sdk" } });
    expect(await admin.getNamespace("sdk-ns")).toMatchObject({ name: "sdk-ns", labels: { team: "sdk", openfaas: "1" } });
    await admin.updateNamespace({ name: "sdk-ns", labels: { team: "sdk2" } });
    expect(await admin.getNamespaces()).toContain("sdk-ns");
    expect(await admin.createSecret({ name: "k", namespace: "sdk-ns", value: "v" })).toBe(202);
    expect(await admin.updateSecret({ name: "k", namespace: "sdk-ns", value: "v2" })).toBe(202);
    expect(await admin.getSecrets("sdk-ns")).toEqual([{ name: "k", namespace: "sdk-ns" }]);
    expect(await admin.deploy({ service: "ext", image: "example/ext:1", namespace: "sdk-ns", secrets: ["k"] })).toBe(202);
    expect(await admin.update({ service: "ext", image: "example/ext:2", namespace: "sdk-ns", secrets: ["k"] })).toBe(202);
    expect(await admin.getFunction("ext", "sdk-ns")).toMatchObject({ name: "ext", image: "example/ext:2" });
    expect((await admin.getFunctions("sdk-ns")).map((f) => f.name)).toEqual(["ext"]);
    await admin.scaleFunction("ext", "sdk-ns", 0);
    await admin.deleteFunction("ext", "sdk-ns");
    await admin.deleteSecret("k", "sdk-ns");
    await admin.deleteNamespace("sdk-ns");
    expect((await admin.getInfo()).provider?.provider).toBe("node-ts-iam-sandbox");
  });

  it("maps the sandbox's refusals to the SDK's typed errors", async () => {
    await expect(admin.getFunction("ghost", "dev")).rejects.toBeInstanceOf(NotFoundError);
    await expect(admin.createNamespace({ name: "dev" })).rejects.toBeInstanceOf(ConflictError);
    await expect(admin.deploy({ service: "needs-secret", image: "x", namespace: "dev", secrets: ["absent"] })).rejects.toSatisfy((e: unknown) => e instanceof UnexpectedStatusError && e.status === 400);
    const stranger = new Client({ gatewayURL: sandbox.url, retries: 0, auth: new TokenAuth({ tokenURL: `${sandbox.url}/oauth/token`, source: new StaticTokenSource(await sandbox.issuer.mint({ namespace: "dev", serviceAccount: "stranger" })) }) });
    await expect(stranger.getFunctions("dev")).rejects.toSatisfy((e: unknown) => e instanceof OAuthError && e.errorDescription === "No policies found for subject: system:serviceaccount:dev:stranger");
  });

  it("authenticates with a running function's projected token through rotations, and is refused outside its policy", async () => {
    const dir = sandbox.tokenDir("dev", "whoami")!;
    const auth = new TokenAuth({ tokenURL: `${sandbox.url}/oauth/token`, source: new ServiceAccountTokenSource({ path: join(dir, "openfaas-token") }) });
    const client = new Client({ gatewayURL: sandbox.url, auth, retries: 0 });
    expect((await client.getFunctions("dev")).map((f) => f.name)).toContain("whoami");
    expect(await client.getNamespaces()).toEqual(["dev"]);
    await expect(client.getFunctions("openfaas-fn")).rejects.toBeInstanceOf(ForbiddenError);
    // Access tokens last 2 h / 1000 ≈ 7 s here; projected tokens rotate every ~0.5 s: re-exchange after rotations.
    await new Promise((r) => setTimeout(r, 1200));
    const fresh = new Client({ gatewayURL: sandbox.url, retries: 0, auth: new TokenAuth({ tokenURL: `${sandbox.url}/oauth/token`, source: new ServiceAccountTokenSource({ path: join(dir, "openfaas-token") }) }) });
    expect((await fresh.getFunction("whoami", "dev")).name).toBe("whoami");
  });

  it("invokes with a function token and streams logs", async () => {
    const dir = sandbox.tokenDir("dev", "whoami")!;
    const client = new Client({ gatewayURL: sandbox.url, retries: 0, auth: new TokenAuth({ tokenURL: `${sandbox.url}/oauth/token`, source: new ServiceAccountTokenSource({ path: join(dir, "openfaas-token") }) }) });
    const result = await client.invokeFunction("whoami", "dev", { method: "GET", path: "/env", functionAuth: true });
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body.toString())).toMatchObject({ name: "whoami", namespace: "dev" });
    const lines: string[] = [];
    for await (const m of admin.getLogs({ name: "whoami", namespace: "dev", tail: 50 })) lines.push(m.text);
    expect(lines.some((l) => l.includes("whoami called: /env"))).toBe(true);
  });
});
