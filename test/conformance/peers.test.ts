import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { faasCli, freePort, machineLock, startWatchdog } from "./support/peers.js";

// The harness itself, against the real binaries: everything else in this suite builds on it.
describe("real peers harness", () => {
  const dir = mkdtempSync(join(tmpdir(), "node-ts-iam-peers-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs faas-cli with its own HOME", async () => {
    const result = await faasCli(["help"], { home: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("faas-cli");
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
