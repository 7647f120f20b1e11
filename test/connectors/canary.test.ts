/**
 * No token in the connector's logs: the real program (dist/main.js) runs against a gateway that
 * issues canary tokens of real size (900-1,300 characters) and echoes every credential it receives
 * into its answers (403 and 500 listings, a refused function-token exchange, function bodies). The
 * program's whole output must hold none of them, nor any fragment of 24 characters. It also checks
 * where each token went: the access token only to the API, the function token only to the function.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeJwt, json, startServer, type SeenRequest, type TestServer } from "../sdk/helpers.js";
import { repoRoot } from "../functions/support/repo.js";

const MAIN = join(repoRoot, "connectors", "cron-connector", "dist", "main.js");

/** A JWT of about `length` characters (padding in a claim), like a Kubernetes or OpenFaaS token. */
function canary(label: string, length: number): string {
  const claims = { sub: label, exp: Math.floor(Date.now() / 1000) + 3600 };
  const base = fakeJwt({ ...claims, pad: "" });
  return fakeJwt({ ...claims, pad: "x".repeat(Math.floor(((length - base.length) * 3) / 4)) });
}

const subjectToken = canary("system:serviceaccount:openfaas:cron-connector", 1100);
const accessToken = canary("fed:system:serviceaccount:openfaas:cron-connector", 950);
const functionToken = canary("function:dev:a", 1250);
const bearer = (req: SeenRequest): string => req.headers.authorization ?? "(none)";

let gateway: TestServer;
let dir: string;
let output = "";
let exitCode: number | null = null;

beforeAll(async () => {
  gateway = await startServer((req, res) => {
    const path = req.url.pathname;
    if (path === "/oauth/token") {
      const form = new URLSearchParams(req.body);
      if (form.get("scope") === "function") {
        // The refused function names the grant it lacks, quoting the subject it was given.
        if (form.get("audience") === "dev:c") return json(res, 400, { error: "invalid_target", error_description: `not allowed for ${form.get("subject_token")}` });
        return json(res, 200, { access_token: functionToken, token_type: "Bearer", expires_in: 3600 });
      }
      return json(res, 200, { access_token: accessToken, token_type: "Bearer", expires_in: 3600 });
    }
    if (path === "/system/namespaces") return json(res, 200, ["dev", "denied", "broken"]);
    if (path === "/system/functions") {
      const ns = req.url.searchParams.get("namespace");
      if (ns === "denied") return json(res, 403, { message: `forbidden for ${bearer(req)}` });
      if (ns === "broken") return json(res, 500, { message: `crashed while serving ${bearer(req)}` });
      const annotations = { topic: "cron-function", schedule: "@every 1s" };
      return json(res, 200, [
        { name: "a", image: "x", annotations, envVars: { jwt_auth: "true" } },
        { name: "b", image: "x", annotations },
        { name: "c", image: "x", annotations, envVars: { jwt_auth: "true" } },
      ]);
    }
    if (path === "/function/a.dev") return json(res, 200, { echo: bearer(req) });
    if (path === "/function/b.dev") return json(res, 500, { echo: bearer(req) }, { "www-authenticate": `Bearer error="${bearer(req)}"` });
    return json(res, 404, { message: `no route for ${bearer(req)}` });
  });
  dir = mkdtempSync(join(tmpdir(), "connector-canary-"));
  writeFileSync(join(dir, "openfaas-token"), subjectToken);

  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env["PATH"], gateway_url: gateway.url, token_mount_path: dir, rebuild_interval: "300ms" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", (code) => ((exitCode = code), resolve())));
  // Wait on what the log says, not on time: two answers from a and b, and c's refusal.
  const deadline = Date.now() + 20_000;
  const count = (re: RegExp): number => output.split("\n").filter((l) => re.test(l)).length;
  while (Date.now() < deadline && (count(/Response: a\.dev \[200\]/) < 2 || count(/Response: b\.dev \[500\]/) < 2 || count(/Error: c\.dev/) < 1)) {
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGTERM");
  await exited;
}, 30_000);

afterAll(async () => {
  await gateway?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the connector's output", () => {
  it("holds the lines the test waited for and ends with exit 0 on SIGTERM", () => {
    expect(output).toMatch(/Response: a\.dev \[200\] \d+ bytes/);
    expect(output).toMatch(/Response: b\.dev \[500\] \d+ bytes/);
    expect(output).toMatch(/Error: c\.dev after \d+m?s: ERR_OAUTH: function token refused: .*Function:Invoke on dev:c/);
    expect(output).toMatch(/Namespace denied: the gateway refused to list its functions \(403/);
    expect(output).toMatch(/Namespace broken: listing functions failed \(500: /);
    expect(exitCode).toBe(0);
  });

  it.each([
    ["subject token", subjectToken],
    ["access token", accessToken],
    ["function token", functionToken],
  ])("never holds the %s (%# ; 900-1,300 characters), whole or in part", (_label, token) => {
    expect(token.length).toBeGreaterThanOrEqual(900);
    expect(token.length).toBeLessThanOrEqual(1300);
    expect(output).not.toContain(token);
    for (let i = 0; i + 24 <= token.length; i += 97) expect(output).not.toContain(token.slice(i, i + 24));
    expect(output).not.toMatch(/Bearer [A-Za-z0-9_-]{8}/);
  });

  it("sent the access token only to the API and the function token only to the function", () => {
    const to = (path: string): string[] => [...new Set(gateway.seen.filter((r) => r.url.pathname === path).map(bearer))];
    expect(to("/system/functions")).toEqual([`Bearer ${accessToken}`]);
    expect(to("/function/a.dev")).toEqual([`Bearer ${functionToken}`]);
    expect(to("/function/b.dev")).toEqual(["(none)"]);
    expect(gateway.seen.some((r) => r.url.pathname === "/function/c.dev")).toBe(false);
  });
});

describe("scrubSecrets (the connector's last line of defence)", () => {
  it("removes whole, truncated and header-only JWTs and scheme credentials, and leaves ordinary text", async () => {
    const { scrubSecrets } = await import("../../connectors/cron-connector/src/log.js");
    const cut = `${accessToken.slice(0, 300)}…`;
    expect(scrubSecrets(`a ${accessToken} b`)).toBe("a [redacted] b");
    expect(scrubSecrets(`description: not allowed for ${cut} (HTTP 400)`)).toBe("description: not allowed for [redacted]… (HTTP 400)");
    expect(scrubSecrets("Authorization: Bearer abc.def-ghi and Basic YWRtaW46cHc=")).toBe("Authorization: Bearer [redacted] and Basic [redacted]");
    const plain = "Response: preview-janitor.openfaas-fn [200] 512 bytes (12ms) call-id 0b6f-eyJ";
    expect(scrubSecrets(plain)).toBe(plain);
  });
});
