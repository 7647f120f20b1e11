import { lstat, mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ServiceAccountIssuer } from "../../sandbox/src/issuer/service-account-issuer.js";
import { TokenProjector } from "../../sandbox/src/projection/token-projector.js";

const dirs: string[] = [];
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "sandbox-projection-"));
  dirs.push(d);
  return d;
}

function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => (check() ? resolve() : Date.now() > deadline ? reject(new Error("timed out")) : setTimeout(tick, 5));
    tick();
  });
}

describe("service account issuer", () => {
  it("mints RS256 tokens with the claim shape of a projected token and serves discovery + JWKS", async () => {
    const issuer = await ServiceAccountIssuer.start({ defaultAudience: ["https://gw"] });
    stops.push(() => issuer.stop());
    const token = await issuer.mint({ namespace: "dev", serviceAccount: "bot", expirationSeconds: 600, podName: "bot-1" });
    const [h, p] = token.split(".");
    expect(JSON.parse(Buffer.from(h!, "base64url").toString())).toEqual({ alg: "RS256", kid: issuer.kid });
    const c = JSON.parse(Buffer.from(p!, "base64url").toString()) as Record<string, unknown>;
    expect(c).toMatchObject({ iss: "https://kubernetes.default.svc.cluster.local", sub: "system:serviceaccount:dev:bot", aud: ["https://gw"], "kubernetes.io": { namespace: "dev", serviceaccount: { name: "bot" }, pod: { name: "bot-1" } } });
    expect(Number(c["exp"]) - Number(c["iat"])).toBe(600);
    expect(c["nbf"]).toBe(c["iat"]);
    const conf = (await (await fetch(`${issuer.url}/.well-known/openid-configuration`)).json()) as { jwks_uri: string; issuer: string };
    expect(conf.issuer).toBe("https://kubernetes.default.svc.cluster.local");
    const jwks = (await (await fetch(conf.jwks_uri)).json()) as { keys: { kid: string; kty: string }[] };
    expect(jwks.keys).toEqual([expect.objectContaining({ kid: issuer.kid, kty: "RSA" })]);
  });

  it.each([599, 0, -1, 1.5])("refuses expirationSeconds %s (Kubernetes' minimum is 600)", async (seconds) => {
    const issuer = await ServiceAccountIssuer.start({ defaultAudience: ["x"] });
    stops.push(() => issuer.stop());
    await expect(issuer.mint({ namespace: "dev", serviceAccount: "bot", expirationSeconds: seconds })).rejects.toThrow(/expirationSeconds must be an integer between 600/);
  });

  it("refuses names that are not RFC 1123 labels", async () => {
    const issuer = await ServiceAccountIssuer.start({ defaultAudience: ["x"] });
    stops.push(() => issuer.stop());
    await expect(issuer.mint({ namespace: "Dev", serviceAccount: "bot" })).rejects.toThrow(/RFC 1123/);
  });
});

describe("kubelet-style projection and rotation", () => {
  it("rotates at 80 % of the lifetime with the ..data swap, deleting the old directory", async () => {
    const dir = join(await tempDir(), "tokens");
    let n = 0;
    const rotations: number[] = [];
    const started = Date.now();
    // 600 s tokens at timeScale 10 000: the first refresh is due after 48 ms + ≤ 1 ms of jitter.
    const projector = new TokenProjector({ dir, expirationSeconds: 600, timeScale: 10_000, mint: async () => `token-${++n}`, onRotate: (g) => rotations.push(Date.now() - started) });
    stops.push(() => projector.stop());
    await projector.start();
    expect(await readFile(join(dir, "openfaas-token"), "utf8")).toBe("token-1");
    const firstData = await readlink(join(dir, "..data"));
    await waitFor(() => projector.rotations >= 3);
    expect(rotations[1]! - rotations[0]!).toBeGreaterThanOrEqual(45);
    expect(await readFile(join(dir, "openfaas-token"), "utf8")).toMatch(/^token-[3-9]$/);
    const entries = await readdir(dir);
    const stamped = entries.filter((e) => /^\.\.\d{4}_/.test(e));
    expect(stamped).toEqual([await readlink(join(dir, "..data"))]);
    expect(stamped[0]).not.toBe(firstData);
    expect(entries.sort()).toEqual(["..data", stamped[0]!, "openfaas-token"].sort());
    expect((await lstat(join(dir, "openfaas-token"))).isSymbolicLink()).toBe(true);
  });

  it("keeps the last good token when minting fails, then recovers", async () => {
    const dir = join(await tempDir(), "tokens");
    let calls = 0;
    const errors: string[] = [];
    const projector = new TokenProjector({
      dir,
      expirationSeconds: 600,
      timeScale: 10_000,
      mint: async () => {
        calls++;
        if (calls === 2) throw new Error("apiserver unavailable");
        return `token-${calls}`;
      },
      onError: (e) => errors.push(e.message),
    });
    stops.push(() => projector.stop());
    await projector.start();
    await waitFor(() => errors.length === 1);
    expect(await readFile(join(dir, "openfaas-token"), "utf8")).toBe("token-1");
    await waitFor(() => projector.rotations >= 2);
    expect(await readFile(join(dir, "openfaas-token"), "utf8")).toBe("token-3");
  });

  it("lets a reader that opens the visible path always see a whole token during rotation", async () => {
    const dir = join(await tempDir(), "tokens");
    let n = 0;
    const projector = new TokenProjector({ dir, expirationSeconds: 600, timeScale: 100_000, mint: async () => `token-${++n}`.padEnd(2000, "x") });
    stops.push(() => projector.stop());
    await projector.start();
    const seen = new Set<string>();
    while (projector.rotations < 20) {
      const text = await readFile(join(dir, "openfaas-token"), "utf8").catch((e: NodeJS.ErrnoException) => e.code ?? "error");
      expect(text.length === 2000 || text === "ENOENT").toBe(true);
      seen.add(text.slice(0, 9));
    }
    expect(seen.size).toBeGreaterThan(1);
  });
});

describe("projection inside the sandbox", () => {
  it("rotates a running function's token (timeScale) and the new token still exchanges", async () => {
    const { startFixtureSandbox, exchange, GRANT, ID_TOKEN } = await import("./helpers.js");
    const sandbox = await startFixtureSandbox({ runFunctions: true, timeScale: 20_000, tokenExpirationSeconds: 600 });
    stops.push(() => sandbox.stop());
    const file = join(sandbox.tokenDir("dev", "whoami")!, "openfaas-token");
    const first = await readFile(file, "utf8");
    let current = first;
    const deadline = Date.now() + 5000;
    while (current === first && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      // A read can race with the swap (the old directory is deleted); try again on the next tick.
      current = await readFile(file, "utf8").catch(() => first);
    }
    expect(current).not.toBe(first);
    const r = await exchange(sandbox.url, { grant_type: GRANT, subject_token_type: ID_TOKEN, subject_token: current });
    expect(r.status, r.text).toBe(200);
    // 2 h tokenExpiry at timeScale 20 000 → the minimum of 1 s.
    expect(r.body["expires_in"]).toBe(1);
  });
});
