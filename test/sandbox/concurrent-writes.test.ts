import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../sandbox/src/types.js";
import { basic, call, startFixtureSandbox } from "./helpers.js";

let sandbox: Sandbox;
let admin: string;
let stateDir: string;

beforeAll(async () => {
  // A durable store: every write awaits an fsync, which widens any check-then-write window.
  stateDir = await mkdtemp(join(tmpdir(), "sandbox-concurrent-"));
  sandbox = await startFixtureSandbox({ stateDir });
  admin = basic(sandbox);
});
afterAll(async () => {
  await sandbox?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

const statuses = (results: { status: number }[]): number[] => results.map((r) => r.status).sort();

describe("concurrent writes of the same object", () => {
  it("create one function: exactly one 202, the others 409, and one record", async () => {
    const deploy = { service: "racer", image: "ghcr.io/acme/racer:1", namespace: "dev" };
    const results = await Promise.all(Array.from({ length: 6 }, () => call(sandbox.url, "POST", "/system/functions", admin, deploy)));
    expect(statuses(results)).toEqual([202, 409, 409, 409, 409, 409]);
    const list = await call(sandbox.url, "GET", "/system/functions?namespace=dev", admin);
    expect((list.json as { name: string }[]).filter((f) => f.name === "racer")).toHaveLength(1);
  });

  it("create one namespace: exactly one 201, the others 409, and one record", async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => call(sandbox.url, "POST", "/system/namespace/", admin, { name: "race-ns" })));
    expect(statuses(results)).toEqual([201, 409, 409, 409, 409, 409]);
    const list = await call(sandbox.url, "GET", "/system/namespaces", admin);
    expect((list.json as string[]).filter((n) => n === "race-ns")).toHaveLength(1);
  });

  it("update a namespace while it is deleted: 202 or 404, never a 500", async () => {
    await call(sandbox.url, "POST", "/system/namespace/", admin, { name: "short-lived" });
    const [del, ...updates] = await Promise.all([
      call(sandbox.url, "DELETE", "/system/namespace/short-lived", admin),
      ...Array.from({ length: 4 }, () => call(sandbox.url, "PUT", "/system/namespace/short-lived", admin, { name: "short-lived", labels: { a: "b" } })),
    ]);
    expect(del!.status).toBe(202);
    for (const u of updates) expect([202, 404]).toContain(u.status);
    expect((await call(sandbox.url, "GET", "/system/namespace/short-lived", admin)).status).toBe(404);
  });
});

describe("concurrent secret writes", () => {
  it("create one secret: exactly one 202, the others 409", async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => call(sandbox.url, "POST", "/system/secrets", admin, { name: "race-key", namespace: "dev", value: "v" })));
    expect(statuses(results)).toEqual([202, 409, 409, 409, 409, 409]);
  });
});
