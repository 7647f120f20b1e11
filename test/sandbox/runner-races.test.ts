import { execFileSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../sandbox/src/types.js";
import { basic, call, startFixtureSandbox, TEMPLATE_SERVER } from "./helpers.js";

let sandbox: Sandbox | undefined;
let admin: string;

/** Pids of this process's children that run the template server (the sandbox's function processes). */
function functionChildren(): number[] {
  const out = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(process.pid)], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((line) => line.includes(TEMPLATE_SERVER))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

beforeAll(async () => {
  sandbox = await startFixtureSandbox({ runFunctions: true });
  admin = basic(sandbox);
}, 60_000);
afterAll(async () => {
  await sandbox?.stop();
});

describe("function processes under concurrent deployments", () => {
  it("concurrent updates of one function leave exactly one process per function, and stop() leaves none", async () => {
    const spec = { service: "racer", image: "fixture.local/whoami:latest", namespace: "dev", annotations: { "com.openfaas.serviceaccount": "whoami" } };
    expect((await call(sandbox!.url, "POST", "/system/functions", admin, spec)).status).toBe(202);
    const updates = await Promise.all(Array.from({ length: 4 }, (_, i) => call(sandbox!.url, "PUT", "/system/functions", admin, { ...spec, envVars: { ROUND: String(i) } })));
    expect(updates.map((u) => u.status)).toEqual([202, 202, 202, 202]);
    await sleep(200);
    const running = sandbox!.functions;
    expect(running.map((f) => f.name).sort()).toEqual(["racer", "whoami"]);
    expect(functionChildren().sort()).toEqual(running.map((f) => f.pid).sort());
    await sandbox!.stop();
    sandbox = undefined;
    expect(functionChildren()).toEqual([]);
  }, 60_000);
});
