import { chmod, mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ClientCredentialsTokenSource,
  configFromEnv,
  EnvTokenSource,
  OAuthError,
  ServiceAccountTokenSource,
  StaticTokenSource,
  TokenSourceError,
} from "@node-ts-iam/sdk";
import { fakeJwt, json, saToken, startServer, type TestServer } from "./helpers.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sdk-sources-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("ServiceAccountTokenSource paths", () => {
  it("defaults to /var/secrets/tokens/openfaas-token", () => {
    expect(new ServiceAccountTokenSource({ env: {} }).path).toBe("/var/secrets/tokens/openfaas-token");
  });
  it("takes the directory from token_mount_path and a full path from OPENFAAS_TOKEN_FILE", () => {
    expect(new ServiceAccountTokenSource({ env: { token_mount_path: "/mnt/t" } }).path).toBe("/mnt/t/openfaas-token");
    expect(new ServiceAccountTokenSource({ env: { token_mount_path: "/mnt/t", OPENFAAS_TOKEN_FILE: "/var/run/secrets/kubernetes.io/serviceaccount/token" } }).path).toBe(
      "/var/run/secrets/kubernetes.io/serviceaccount/token",
    );
    expect(new ServiceAccountTokenSource({ directory: "/d", env: {} }).path).toBe("/d/openfaas-token");
    expect(new ServiceAccountTokenSource({ path: "/x/token", env: { OPENFAAS_TOKEN_FILE: "/y" } }).path).toBe("/x/token");
  });
  it("resolves the same file as configFromEnv, whitespace trimmed and blank values unset", () => {
    for (const env of [{}, { token_mount_path: " /mnt/t \n" }, { OPENFAAS_TOKEN_FILE: " /sa/token ", token_mount_path: "/mnt/t" }, { OPENFAAS_TOKEN_FILE: "  ", token_mount_path: " " }]) {
      expect(new ServiceAccountTokenSource({ env }).path).toBe(configFromEnv(env).tokenFile);
    }
    expect(new ServiceAccountTokenSource({ env: { token_mount_path: " /mnt/t " } }).path).toBe("/mnt/t/openfaas-token");
  });
});

describe("ServiceAccountTokenSource reads", () => {
  it("re-reads the file every call and trims whitespace", async () => {
    const path = join(dir, "rereads");
    const a = saToken("a");
    const b = saToken("b");
    const source = new ServiceAccountTokenSource({ path });
    await writeFile(path, `\n ${a}\n`);
    expect(await source.token()).toBe(a);
    await writeFile(path, `${b}\r\n`);
    expect(await source.token()).toBe(b);
  });

  it.each([
    ["empty", "", "is empty"],
    ["blank", "  \n\t", "is empty"],
    ["not a JWT", "hello-world", "does not hold a JWT"],
    ["two parts", "abc.def", "does not hold a JWT"],
    ["garbage JWT", "aaaa.bbbb.cccc", "does not hold a JWT"],
  ])("rejects an %s file with a clear TokenSourceError", async (_label, content, message) => {
    const path = join(dir, `bad-${_label.replace(/\s/g, "-")}`);
    await writeFile(path, content);
    const error = await new ServiceAccountTokenSource({ path }).token().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenSourceError);
    expect((error as TokenSourceError).code).toBe("ERR_TOKEN_SOURCE");
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).toContain(path);
  });

  it("explains a missing file", async () => {
    const error = await new ServiceAccountTokenSource({ path: join(dir, "nope", "openfaas-token") }).token().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenSourceError);
    expect((error as Error).message).toMatch(/not found.*token_mount_path/);
  });

  it("serves the last good token while reads fail, only while it is unexpired", async () => {
    const path = join(dir, "lastgood");
    let now = Date.now();
    const source = new ServiceAccountTokenSource({ path, clock: () => now });
    const good = saToken("good", 600);
    await writeFile(path, good);
    expect(await source.token()).toBe(good);
    await unlink(path);
    expect(await source.token()).toBe(good);
    await writeFile(path, "not-a-jwt");
    expect(await source.token()).toBe(good);
    now += 601_000;
    await expect(source.token()).rejects.toBeInstanceOf(TokenSourceError);
  });

  it("does not serve a last good token that had no exp", async () => {
    const path = join(dir, "noexp");
    const source = new ServiceAccountTokenSource({ path });
    await writeFile(path, fakeJwt({ sub: "x" }));
    await source.token();
    await writeFile(path, "");
    await expect(source.token()).rejects.toBeInstanceOf(TokenSourceError);
  });

  it("refuses a token file over 64 KiB without reading it whole (and reads one of exactly 64 KiB)", async () => {
    const token = saToken();
    const big = join(dir, "big-token");
    await writeFile(big, token + " ".repeat(64 * 1024 - token.length));
    expect(await new ServiceAccountTokenSource({ path: big }).token()).toBe(token);
    await writeFile(big, token + " ".repeat(64 * 1024 - token.length + 1));
    const error = await new ServiceAccountTokenSource({ path: big }).token().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenSourceError);
    expect((error as Error).message).toMatch(/larger than 65536 bytes/);
    // A device that never ends is refused too, instead of filling memory.
    await expect(new ServiceAccountTokenSource({ path: "/dev/zero" }).token()).rejects.toThrow(/larger than/);
  });

  it("reports an unreadable file", async () => {
    if (process.getuid?.() === 0) {
      // root reads anything: use a directory in place of the file instead.
      const error = await new ServiceAccountTokenSource({ path: dir }).token().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenSourceError);
      expect((error as Error).message).toContain("cannot read token file");
      return;
    }
    const path = join(dir, "unreadable");
    await writeFile(path, saToken());
    await chmod(path, 0o000);
    await expect(new ServiceAccountTokenSource({ path }).token()).rejects.toBeInstanceOf(TokenSourceError);
  });
});

describe("static and env sources", () => {
  it("StaticTokenSource returns its token and refuses an empty one", async () => {
    expect(await new StaticTokenSource(" t1 ").token()).toBe("t1");
    expect(() => new StaticTokenSource("")).toThrow(TokenSourceError);
  });
  it("EnvTokenSource reads the variable at every call", async () => {
    const env: Record<string, string | undefined> = { MY_TOKEN: "one" };
    const source = new EnvTokenSource("MY_TOKEN", env);
    expect(await source.token()).toBe("one");
    env.MY_TOKEN = "two\n";
    expect(await source.token()).toBe("two");
    env.MY_TOKEN = "";
    const error = await source.token().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenSourceError);
    expect((error as Error).message).toContain("MY_TOKEN");
  });
});

describe("ClientCredentialsTokenSource", () => {
  let idp: TestServer;
  let reply: (res: import("node:http").ServerResponse) => void;
  beforeAll(async () => {
    idp = await startServer((_req, res) => reply(res));
  });
  afterAll(() => idp.close());

  it("posts client credentials, returns id_token when asked, and caches one token for concurrent callers", async () => {
    const id = fakeJwt({ sub: "client", exp: Math.floor(Date.now() / 1000) + 3600 });
    reply = (res) => json(res, 200, { access_token: "opaque", id_token: id, token_type: "Bearer", expires_in: 3600 });
    const before = idp.seen.length;
    const source = new ClientCredentialsTokenSource({ tokenURL: `${idp.url}/token`, clientId: "cid", clientSecret: "csecret", scope: ["openid", "profile"], audience: "gw", use: "id_token" });
    const tokens = await Promise.all(Array.from({ length: 20 }, () => source.token()));
    expect(new Set(tokens)).toEqual(new Set([id]));
    expect(idp.seen.length - before).toBe(1);
    const form = new URLSearchParams(idp.seen.at(-1)!.body);
    expect(Object.fromEntries(form)).toEqual({ grant_type: "client_credentials", client_id: "cid", client_secret: "csecret", scope: "openid profile", audience: "gw" });
  });

  it("returns access_token by default (Go SDK parity), and reports OAuth errors", async () => {
    reply = (res) => json(res, 200, { access_token: "opaque-at", id_token: fakeJwt({ a: 1 }), token_type: "Bearer", expires_in: 60 });
    expect(await new ClientCredentialsTokenSource({ tokenURL: idp.url, clientId: "c", clientSecret: "s" }).token()).toBe("opaque-at");
    reply = (res) => json(res, 401, { error: "invalid_client" });
    const error = await new ClientCredentialsTokenSource({ tokenURL: idp.url, clientId: "c", clientSecret: "s" }).token().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).error).toBe("invalid_client");
  });

  it("keeps a token no longer than maxLifetimeMs (default 24 h), whatever expires_in says", async () => {
    let now = 1_000_000;
    reply = (res) => json(res, 200, { access_token: "forever", token_type: "Bearer", expires_in: 1e10 });
    const options = { tokenURL: idp.url, clientId: "c", clientSecret: "s", clock: () => now, refreshWindowMs: 0, expiryMarginMs: 0 };
    for (const [source, lifetimeMs] of [
      [new ClientCredentialsTokenSource(options), 86_400_000],
      [new ClientCredentialsTokenSource({ ...options, maxLifetimeMs: 60_000 }), 60_000],
    ] as const) {
      now = 1_000_000;
      const before = idp.seen.length;
      await source.token();
      now += lifetimeMs - 1;
      await source.token();
      expect(idp.seen.length - before).toBe(1);
      now += 1;
      await source.token();
      expect(idp.seen.length - before).toBe(2);
    }
  });

  it("refuses missing credentials", () => {
    expect(() => new ClientCredentialsTokenSource({ tokenURL: idp.url, clientId: "", clientSecret: "s" })).toThrow(TokenSourceError);
  });
});
