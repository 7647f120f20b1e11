import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { call, FIXTURE_ROOT, FIXTURES } from "./helpers.js";

const children: ChildProcess[] = [];
let stateDir: string | undefined;
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, "SIGKILL");
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

/** Starts the sandbox in a child process; resolves with its URL and admin auth header. */
function startChild(dir: string): Promise<{ child: ChildProcess; url: string; auth: string }> {
  const child = spawn(process.execPath, [join(FIXTURES, "durable-child.mjs"), FIXTURE_ROOT, dir], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`sandbox child exited early (${code})`)));
    createInterface({ input: child.stdout! }).once("line", (line) => {
      const { url, password } = JSON.parse(line) as { url: string; password: string };
      resolve({ child, url, auth: `Basic ${Buffer.from(`admin:${password}`).toString("base64")}` });
    });
  });
}

describe("state directory durability", () => {
  it("keeps every acknowledged write across kill -9", async () => {
    stateDir = await mkdtemp(join(tmpdir(), "sandbox-durable-"));
    const first = await startChild(stateDir);
    const acknowledged: string[] = [];
    // Writes go out concurrently; each counts once the gateway has answered 2xx.
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const ns = `ns-${i}`;
        expect((await call(first.url, "POST", "/system/namespace/", first.auth, { name: ns })).status).toBe(201);
        expect((await call(first.url, "POST", "/system/secrets", first.auth, { name: `s-${i}`, namespace: ns, value: `v${i}` })).status).toBe(202);
        expect((await call(first.url, "POST", "/system/functions", first.auth, { service: `fn-${i}`, image: `img:${i}`, namespace: ns, secrets: [`s-${i}`] })).status).toBe(202);
        acknowledged.push(ns);
      }),
    );
    expect((await call(first.url, "POST", "/system/scale-function/fn-3", first.auth, { serviceName: "fn-3", namespace: "ns-3", replicas: 0 })).status).toBe(202);
    process.kill(first.child.pid!, "SIGKILL");
    await new Promise((r) => first.child.once("exit", r));
    expect((await readdir(stateDir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);

    const second = await startChild(stateDir);
    const namespaces = (await call(second.url, "GET", "/system/namespaces", second.auth)).json as string[];
    expect(namespaces).toEqual(expect.arrayContaining(acknowledged));
    for (let i = 0; i < 12; i++) {
      const fns = (await call(second.url, "GET", `/system/functions?namespace=ns-${i}`, second.auth)).json as { name: string; image: string; replicas: number }[];
      expect(fns).toEqual([expect.objectContaining({ name: `fn-${i}`, image: `img:${i}`, replicas: i === 3 ? 0 : 1 })]);
      expect((await call(second.url, "GET", `/system/secrets?namespace=ns-${i}`, second.auth)).json).toEqual([{ name: `s-${i}`, namespace: `ns-${i}` }]);
    }
    // The admin credential is generated afresh at each start.
    expect(second.auth).not.toBe(first.auth);
    process.kill(second.child.pid!, "SIGTERM");
    await new Promise((r) => second.child.once("exit", r));
  });
});
