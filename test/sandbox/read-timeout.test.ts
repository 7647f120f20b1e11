/**
 * Trickling bodies are cut (issue 21, finding 3): 50 sockets sending one byte a second held the
 * gateway (`requestTimeout` 0) and the watchdog stand-in for over 100 s. A request not received whole
 * within the read timeout (here 1 s, `readTimeoutMs`; 60 s by default) is answered 408 and its
 * connection closed, by the gateway and by a function's stand-in; a slow but complete one still passes.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../sandbox/src/types.js";
import { basic, startFixtureSandbox } from "./helpers.js";

const READ_TIMEOUT_MS = 1_000;
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startFixtureSandbox({ runFunctions: true, readTimeoutMs: READ_TIMEOUT_MS });
}, 60_000);
afterAll(async () => {
  await sandbox?.stop();
});

/**
 * Sends the head of a POST announcing `length` bytes, then one byte every `everyMs` (all of them when
 * `length` is reached); resolves with what came back and when the server closed the connection.
 */
function trickle(base: string, path: string, headers: Record<string, string>, length: number, everyMs: number): Promise<{ answer: string; closedAfterMs: number }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname);
    let answer = "";
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < length && socket.writable) {
        socket.write("x");
        sent++;
      }
    }, everyMs);
    // A server that never cuts fails the test rather than hanging it.
    const guard = setTimeout(() => socket.destroy(new Error("the server kept the connection open")), 10 * READ_TIMEOUT_MS);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (answer += chunk));
    socket.on("error", (err) => {
      clearInterval(timer);
      clearTimeout(guard);
      reject(err);
    });
    socket.on("close", () => {
      clearInterval(timer);
      clearTimeout(guard);
      resolve({ answer, closedAfterMs: Date.now() - started });
    });
    const head = Object.entries({ host: `${hostname}:${port}`, "content-length": String(length), ...headers }).map(([k, v]) => `${k}: ${v}\r\n`);
    socket.write(`POST ${path} HTTP/1.1\r\n${head.join("")}connection: close\r\n\r\n`);
  });
}

const json = { "content-type": "application/json" };

describe("a request body that trickles is cut at the read timeout", () => {
  it("by the gateway: 408 JSON naming the read timeout, 10 sockets at once, each closed within the deadline and a check", async () => {
    const cut = await Promise.all(Array.from({ length: 10 }, () => trickle(sandbox.url, "/system/namespace/", { ...json, authorization: basic(sandbox) }, 100, 200)));
    for (const { answer, closedAfterMs } of cut) {
      expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(answer.slice(answer.indexOf("\r\n\r\n") + 4)).toBe(JSON.stringify({ message: "the request was not received whole within the read timeout (1 s)" }));
      expect(closedAfterMs).toBeGreaterThanOrEqual(READ_TIMEOUT_MS - 50);
      expect(closedAfterMs).toBeLessThan(READ_TIMEOUT_MS + 1_500);
    }
  });

  it("by the gateway on /oauth/token and on an invocation it proxies", async () => {
    const paths = ["/oauth/token", "/function/whoami.dev/echo"];
    const cut = await Promise.all(paths.map((path) => trickle(sandbox.url, path, { "content-type": "application/x-www-form-urlencoded" }, 100, 200)));
    cut.forEach(({ answer, closedAfterMs }, i) => {
      expect(answer, paths[i]).toMatch(/^HTTP\/1\.1 408 /);
      expect(closedAfterMs, paths[i]).toBeLessThan(READ_TIMEOUT_MS + 1_500);
    });
  });

  it("by a function's watchdog stand-in", async () => {
    const pod = sandbox.functions.find((f) => f.name === "whoami")!;
    const { answer, closedAfterMs } = await trickle(pod.url, "/", json, 100, 200);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeGreaterThanOrEqual(READ_TIMEOUT_MS - 50);
    expect(closedAfterMs).toBeLessThan(READ_TIMEOUT_MS + 1_500);
  });

  it("but a slow body that is complete within the timeout is answered", async () => {
    const body = JSON.stringify({ name: "slow-ok" });
    const { answer } = await trickleAll(sandbox.url, "/system/namespace/", { ...json, authorization: basic(sandbox) }, body, 400);
    expect(answer).toMatch(/^HTTP\/1\.1 201 /);
  });
});

/** Sends `body` in two halves `pauseMs` apart. */
function trickleAll(base: string, path: string, headers: Record<string, string>, body: string, pauseMs: number): Promise<{ answer: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (answer += chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve({ answer }));
    const head = Object.entries({ host: `${hostname}:${port}`, "content-length": String(Buffer.byteLength(body)), ...headers }).map(([k, v]) => `${k}: ${v}\r\n`);
    socket.write(`POST ${path} HTTP/1.1\r\n${head.join("")}connection: close\r\n\r\n${body.slice(0, 5)}`);
    setTimeout(() => socket.write(body.slice(5)), pauseMs);
  });
}
