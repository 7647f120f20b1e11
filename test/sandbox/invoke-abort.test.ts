import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../sandbox/src/types.js";
import { call, FIXTURES, startFixtureSandbox } from "./helpers.js";

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startFixtureSandbox({ runFunctions: true, templateServer: join(FIXTURES, "slow-function-server.mjs") });
}, 60_000);
afterAll(async () => {
  await sandbox?.stop();
});

describe("synchronous invocation", () => {
  it("closes the request to the function when the caller goes away", async () => {
    const controller = new AbortController();
    const pending = fetch(`${sandbox.url}/function/whoami.dev/hang`, { signal: controller.signal }).catch(() => undefined);
    await sleep(150);
    controller.abort();
    await pending;
    let closed = 0;
    for (let i = 0; i < 50 && closed === 0; i++) {
      await sleep(20);
      closed = ((await call(sandbox.url, "GET", "/function/whoami.dev/closed", "")).json as { closed: number }).closed;
    }
    expect(closed).toBe(1);
  });
});
