import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { faasCli, freePort, machineLock, startWatchdog } from "./support/peers.js";

// The harness itself, against the real binaries: everything else in this suite builds on it.
describe("real peers harness", () => {
  // Made in beforeAll, so that collecting the tests (vitest list) leaves nothing in /tmp.
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "node-ts-iam-peers-"));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs faas-cli with its own HOME", async () => {
    const result = await faasCli(["help"], { home: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("faas-cli");
  });

  it("keeps faas-cli's login in the HOME it gives, even with CI=true (where faas-cli uses ./.openfaas)", async () => {
    const gateway = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end("[]"));
    await new Promise<void>((r) => gateway.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
    const login = (home: string, cwd: string, env: Record<string, string>) =>
      faasCli(["login", "-g", url, "-u", "admin", "--password-stdin"], { home, cwd, env: { CI: "true", ...env }, stdin: "a-password" });
    try {
      const home = mkdtempSync(join(dir, "home-"));
      const elsewhere = mkdtempSync(join(dir, "cwd-"));
      const pinned = await login(home, elsewhere, {});
      expect(pinned.code, pinned.stdout + pinned.stderr).toBe(0);
      expect(readFileSync(join(home, ".openfaas", "config.yml"), "utf8")).toContain(url);
      expect(existsSync(join(elsewhere, ".openfaas"))).toBe(false);
      // What the pin is for: without it, the real faas-cli writes to the working directory.
      const unpinned = await login(mkdtempSync(join(dir, "home-")), elsewhere, { OPENFAAS_CONFIG: "" });
      expect(unpinned.code, unpinned.stdout + unpinned.stderr).toBe(0);
      expect(readFileSync(join(elsewhere, ".openfaas", "config.yml"), "utf8")).toContain(url);
    } finally {
      await new Promise((r) => gateway.close(r));
    }
  });

  it("starts of-watchdog in front of a process, proxies, reports health, and stops on SIGTERM", async () => {
    writeFileSync(
      join(dir, "upstream.mjs"),
      'import http from "node:http";\nhttp.createServer((q, s) => s.end(`up ${q.method} ${q.url}`)).listen(Number(process.env.http_port), "127.0.0.1");\n',
    );
    const upstream = await freePort();
    const watchdog = await startWatchdog({
      cwd: dir,
      env: { fprocess: "node upstream.mjs", upstream_url: `http://127.0.0.1:${upstream}`, http_port: String(upstream), healthcheck_interval: "0s", ready_path: "/_/ready" },
    });
    try {
      const res = await fetch(`${watchdog.url}/hello?x=1`, { method: "POST", body: "b" });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("up POST /hello?x=1");
      expect(watchdog.logs()).toContain(`Writing lock-file to: ${join(watchdog.tmp, ".lock")}`);
    } finally {
      await watchdog.stop();
    }
    expect((await watchdog.exited).code).not.toBeNull();
  });

  it("hands a machine lock to one holder at a time, and takes over a dead owner's", async () => {
    const release = await machineLock("harness-self-test");
    const order: string[] = [];
    const second = machineLock("harness-self-test").then((r) => {
      order.push("second");
      return r;
    });
    await new Promise((r) => setTimeout(r, 300));
    order.push("first-release");
    release();
    (await second)();
    expect(order).toEqual(["first-release", "second"]);
  });
});
