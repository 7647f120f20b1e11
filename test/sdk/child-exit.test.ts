/**
 * A program that uses the SDK through its awkward paths (an exchange with a real-sized service
 * account token, a 429 then success, a body that stalls and is retried, a body over the limit, a
 * followed log stream left early, a function-token invocation) exits by itself once it is done:
 * no timer, socket or pending refresh keeps it alive (the shared Agent keeps idle sockets for 30 s,
 * so one that held the process would run into the 15 s limit here).
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceAccountIssuer } from "../../sandbox/src/issuer/service-account-issuer.js";
import { json, startServer, streamBody, type TestServer } from "./helpers.js";

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");
let server: TestServer;
let issuer: ServiceAccountIssuer;
let dir: string;
const hits = new Map<string, number>();

beforeAll(async () => {
  issuer = await ServiceAccountIssuer.start({ defaultAudience: ["http://gateway.openfaas:8080"] });
  dir = await mkdtemp(join(tmpdir(), "sdk-exit-"));
  await writeFile(join(dir, "openfaas-token"), await issuer.mint({ namespace: "dev", serviceAccount: "janitor" }));
  server = await startServer((req, res) => {
    const n = (hits.get(req.url.pathname) ?? 0) + 1;
    hits.set(req.url.pathname, n);
    switch (req.url.pathname) {
      case "/oauth/token":
        return json(res, 200, { access_token: `access-${n}`, token_type: "Bearer", expires_in: 3600 });
      case "/system/namespaces":
        // 429 first, then success.
        return n === 1 ? void res.writeHead(429, { "retry-after": "0" }).end("slow down") : json(res, 200, ["dev"]);
      case "/system/functions":
        // The first answer stalls after its head; the retry succeeds.
        if (n === 1) return void res.writeHead(200, { "content-type": "application/json" }).write("[");
        return json(res, 200, []);
      case "/system/info":
        return void streamBody(res, 4 * 1024 * 1024);
      case "/system/logs":
        res.writeHead(200, { "content-type": "application/x-ndjson" });
        return void res.write(`${JSON.stringify({ name: "hello", namespace: "dev", instance: "i", timestamp: "2026-01-01T00:00:00Z", text: "hi" })}\n`);
      default:
        return void res.writeHead(200).end("invoked");
    }
  });
});
afterAll(async () => {
  await server.close();
  await issuer.stop();
  await rm(dir, { recursive: true, force: true });
});

const CHILD = `
import { Client, ServiceAccountTokenSource, TokenAuth } from "@node-ts-iam/sdk";
const base = process.env.BASE;
const auth = new TokenAuth({ source: new ServiceAccountTokenSource({ directory: process.env.TOKEN_DIR }), tokenURL: base + "/oauth/token" });
const client = new Client({ gatewayURL: base, auth, bodyIdleTimeoutMs: 300, maxResponseBytes: 1024 * 1024, retries: { limit: 2, baseDelayMs: 1, maxDelayMs: 5 } });
const out = {};
out.namespaces = await client.getNamespaces();
out.functions = await client.getFunctions("dev");
out.tooLarge = await client.getInfo().then(() => "ok", (e) => e.code);
for await (const line of client.getLogs({ name: "hello", namespace: "dev", follow: true })) { out.log = line.text; break; }
out.invoked = (await client.invokeFunction("hello", "dev", { functionAuth: true })).body.toString();
console.log(JSON.stringify(out));
`;

describe("a program using the SDK", () => {
  it("exits by itself after a 429, a stalled body, an oversized body, a log stream and an invocation", async () => {
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", CHILD], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, BASE: server.url, TOKEN_DIR: dir },
      timeout: 15_000,
    });
    expect(JSON.parse(stdout.trim())).toEqual({ namespaces: ["dev"], functions: [], tooLarge: "ERR_RESPONSE_TOO_LARGE", log: "hi", invoked: "invoked" });
    // The 429 and the stalled answer were each retried once; one API exchange plus one function-token exchange.
    expect(Object.fromEntries(hits)).toMatchObject({ "/system/namespaces": 2, "/system/functions": 2, "/system/info": 1, "/oauth/token": 2 });
  });
});
