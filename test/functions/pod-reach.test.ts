/**
 * A function process is reachable only through its watchdog stand-in (issue: each sample's server
 * listened on a 127.0.0.1 port of its own, where a request needed no token: `POST /tenants` created a
 * tenant with tenant-provisioner's identity, `GET /namespaces` on ns-admin answered, an empty
 * cross-site `POST /` started a janitor sweep). Now every function process listens on a Unix socket in
 * a folder only this user can open, and on no TCP port; what listens on a port for it, its pod URL,
 * refuses a request without a function token.
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFunctionsSandbox, type FunctionsSandbox } from "./support/sandbox.js";

/** The TCP ports a process listens on (Linux: its socket inodes matched against /proc/net/tcp and tcp6). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const target = (() => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return "";
      }
    })();
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) inodes.add(m[1]!);
  }
  const ports: number[] = [];
  for (const table of [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`]) {
    for (const row of readFileSync(table, "utf8").trim().split("\n").slice(1)) {
      const cols = row.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; the inode is column 10.
      if (cols[3] === "0A" && inodes.has(cols[9]!)) ports.push(parseInt(cols[1]!.split(":")[1]!, 16));
    }
  }
  return ports;
}

/** The Unix socket paths a process listens on (/proc/net/unix rows whose inode is one of its fds). */
function listeningSockets(pid: number): string[] {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return m ? [m[1]!] : [];
      } catch {
        return [];
      }
    }),
  );
  return readFileSync(`/proc/${pid}/net/unix`, "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((row) => row.trim().split(/\s+/))
    .filter((cols) => inodes.has(cols[6]!) && cols[7]?.startsWith("/"))
    .map((cols) => cols[7]!);
}

describe("the samples' processes, reachable only through their watchdog stand-ins", () => {
  let env: FunctionsSandbox;
  beforeAll(async () => {
    env = await startFunctionsSandbox({ only: ["ns-admin", "tenant-provisioner", "preview-janitor"] });
  }, 120_000);
  afterAll(async () => {
    await env?.stop();
  });

  it("each listens on no TCP port, only on a Unix socket in a folder no other user can open", () => {
    const functions = env.sandbox.functions;
    expect(functions.map((f) => f.name).sort()).toEqual(["ns-admin", "preview-janitor", "tenant-provisioner"]);
    for (const fn of functions) {
      expect(listeningPorts(fn.pid), fn.name).toEqual([]);
      const sockets = listeningSockets(fn.pid);
      expect(sockets, fn.name).toHaveLength(1);
      expect(statSync(dirname(sockets[0]!)).mode & 0o777, fn.name).toBe(0o700);
    }
  });

  it.each([
    ["tenant-provisioner", "POST", "/tenants", '{"name":"intruder"}'],
    ["ns-admin", "GET", "/namespaces", undefined],
    ["preview-janitor", "POST", "/", ""],
  ])("%s's pod refuses %s %s without a function token (401), and nothing happens", async (name, method, path, body) => {
    const fn = env.sandbox.functions.find((f) => f.name === name)!;
    const res = await fetch(`${fn.url}${path}`, { method, ...(body !== undefined ? { body, headers: { "content-type": "application/json" } } : {}) });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe("Bearer realm=IAM function invoke");
    await res.arrayBuffer();
  });

  it("no tenant was created by the refused request", async () => {
    const namespaces = await env.admin.getNamespaces();
    expect(namespaces).not.toContain("tenant-intruder");
  });
});
