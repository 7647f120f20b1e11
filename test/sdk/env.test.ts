import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, configFromEnv, gatewayClient, ServiceAccountTokenSource, TokenAuth } from "@node-ts-iam/sdk";
import { json, saToken, startFakeGateway, type FakeGateway } from "./helpers.js";

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");

describe("configFromEnv", () => {
  it("has in-cluster defaults", () => {
    expect(configFromEnv({})).toEqual({
      gatewayURL: "http://gateway.openfaas:8080",
      tokenURL: "http://gateway.openfaas:8080/oauth/token",
      tokenFile: "/var/secrets/tokens/openfaas-token",
    });
  });
  it("reads OPENFAAS_URL, OPENFAAS_TOKEN_URL, token_mount_path and OPENFAAS_TOKEN_FILE", () => {
    expect(configFromEnv({ OPENFAAS_URL: "http://127.0.0.1:8080/", token_mount_path: "/mnt/tok" })).toEqual({
      gatewayURL: "http://127.0.0.1:8080",
      tokenURL: "http://127.0.0.1:8080/oauth/token",
      tokenFile: "/mnt/tok/openfaas-token",
    });
    expect(configFromEnv({ OPENFAAS_TOKEN_URL: "https://idp/token", OPENFAAS_TOKEN_FILE: "/sa/token", token_mount_path: "/ignored" })).toMatchObject({
      tokenURL: "https://idp/token",
      tokenFile: "/sa/token",
    });
  });
});

describe("Client.fromEnv and gatewayClient", () => {
  it("fromEnv shares one TokenAuth per token file and token URL", () => {
    const env = { OPENFAAS_URL: "http://gw.test:8080", token_mount_path: "/tmp/none" };
    const a = Client.fromEnv({ env });
    const b = Client.fromEnv({ env });
    expect(a.gatewayURL.href).toBe("http://gw.test:8080/");
    expect(a.auth).toBeInstanceOf(TokenAuth);
    expect(a.auth).toBe(b.auth);
    expect(Client.fromEnv({ env: { ...env, OPENFAAS_URL: "http://gw.test:8080/" } }).auth, "the same token URL once normalised").toBe(a.auth);
    expect(Client.fromEnv({ env: { ...env, token_mount_path: "/tmp/other" } }).auth).not.toBe(a.auth);
  });

  it("gatewayClient returns one lazily created client", () => {
    expect(gatewayClient()).toBe(gatewayClient());
    expect(new ServiceAccountTokenSource({ env: {} }).path).toBe("/var/secrets/tokens/openfaas-token");
  });
});

describe("from a handler process", () => {
  let gw: FakeGateway;
  let dir: string;
  beforeAll(async () => {
    gw = await startFakeGateway({ api: (_req, res) => json(res, 200, ["dev", "prod"]) });
    dir = await mkdtemp(join(tmpdir(), "sdk-env-"));
    await writeFile(join(dir, "openfaas-token"), saToken());
    await writeFile(
      join(dir, "hooks.mjs"),
      `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.includes("/node_modules/undici/")) appendFileSync(${JSON.stringify(join(dir, "loaded.log"))}, result.url + "\\n");
  return result;
}`,
    );
  });
  afterAll(async () => {
    await gw.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("importing the SDK and creating the client loads no undici and does no I/O; the first call does", async () => {
    const script = `
      import { register } from "node:module";
      import { existsSync } from "node:fs";
      register(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});
      const log = ${JSON.stringify(join(dir, "loaded.log"))};
      const { gatewayClient } = await import("@node-ts-iam/sdk");
      const client = gatewayClient();
      const before = existsSync(log);
      const namespaces = await client.getNamespaces();
      console.log(JSON.stringify({ before, after: existsSync(log), namespaces, same: client === gatewayClient() }));
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, OPENFAAS_URL: gw.url, token_mount_path: dir },
      timeout: 20_000,
    });
    expect(JSON.parse(stdout.trim())).toEqual({ before: false, after: true, namespaces: ["dev", "prod"], same: true });
    expect(gw.exchanges).toHaveLength(1);
    expect(gw.seen.filter((r) => r.url.pathname === "/system/namespaces")).toHaveLength(1);
  });
});
