/**
 * Function authentication cases (issue 8): one table of requests to a `jwt_auth=true` function with
 * the tokens a caller can hold, run against the sandbox (`function-auth.test.ts`) and, in the
 * conformance suite, against the real of-watchdog 0.10.1 (`../conformance/watchdog-jwt.test.ts`),
 * which must answer each the same way. The sandbox that issues the tokens runs the fixture function
 * `whoami` (namespace dev) with `jwt_auth=true`, `open-whoami` without it, and trusts two extra
 * callers: `callers/tester` (a service account allowed Function:Invoke on dev:* and staging:*) and
 * a short-lived issuer (access tokens of 3 s) for expired function tokens.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { AccessTokenService } from "../../sandbox/src/iam/access-tokens.js";
import { ServiceAccountIssuer } from "../../sandbox/src/issuer/service-account-issuer.js";
import type { Sandbox, SandboxOptions } from "../../sandbox/src/types.js";
import { accessTokenFor, claimsOf, exchange, FIXTURE_ROOT, GRANT, ID_TOKEN, startFixtureSandbox } from "./helpers.js";

/** The protected function and its namespace. */
export const TARGET = { name: "whoami", namespace: "dev" };
/** A function of the same handler without `jwt_auth`. */
export const OPEN_TARGET = { name: "open-whoami", namespace: "dev" };
const SHORT_ISS = "https://short-lived.example.test";
const SHORT_AUD = "urn:node-ts-iam:short-lived";

/** The tokens the cases use. Function tokens are for `dev:whoami` unless named otherwise. */
export interface CaseTokens {
  valid: string;
  /** A function token whose access token (and so itself) lived 3 s; expired when the cases run. */
  expired: string;
  /** A function token for dev:whoami from another gateway (another key and issuer URL). */
  otherIssuer: string;
  /** A function token with this gateway's `iss` but signed by another key. */
  otherKey: string;
  /** A Kubernetes service account token (the sandbox's own issuer; RS256, iss kubernetes). */
  serviceAccount: string;
  /** The caller's OpenFaaS API access token (no `function` claim). */
  apiAccess: string;
  otherFunction: string;
  otherNamespace: string;
  /** For `dev:who`: a prefix of `whoami`. */
  prefix: string;
}

/** One request to the function: what it sends and what of-watchdog 0.10.1 answers. */
export interface AuthCase {
  name: string;
  method: "GET" | "POST";
  /** Path below the function (with query string). */
  path: string;
  headers: Record<string, string>;
  /** Sent to /async-function in the sandbox (202, then the callback's X-Function-Status); to the watchdog as the queue worker sends it. */
  async?: boolean;
  status: number;
  /**
   * Where the sandbox differs from the watchdog on purpose: the status the watchdog answers (the
   * sandbox answers `status`). See sandbox/src/watchdog/function-auth.ts.
   */
  watchdogStatus?: number;
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** The cases; statuses are what the watchdog answers unless `watchdogStatus` says otherwise. */
export function authCases(t: CaseTokens): AuthCase[] {
  const get = (name: string, headers: Record<string, string>, status: number, path = "/env"): AuthCase => ({ name, method: "GET", path, headers, status });
  return [
    get("no Authorization header", {}, 401),
    get("a garbage bearer", bearer("not-a-jwt"), 401),
    get("an empty bearer", { authorization: "Bearer " }, 401),
    get("a JWT-shaped token with a forged signature", bearer(`${t.valid.split(".").slice(0, 2).join(".")}.${"A".repeat(86)}`), 401),
    get("an expired function token", bearer(t.expired), 401),
    get("a function token from another issuer", bearer(t.otherIssuer), 401),
    get("a function token with the right iss, signed by another key", bearer(t.otherKey), 401),
    get("a Kubernetes service account token", bearer(t.serviceAccount), 401),
    get("an API access token (no function claim)", bearer(t.apiAccess), 403),
    get("a function token for another function", bearer(t.otherFunction), 403),
    get("a function token for the function in another namespace", bearer(t.otherNamespace), 403),
    get("a valid function token", bearer(t.valid), 200),
    { ...get("a valid function token, POST", bearer(t.valid), 200), method: "POST" },
    get("a valid function token in the query string only (never read)", {}, 401, `/env?access_token=${t.valid}&token=${t.valid}`),
    get("a valid function token with a lower-case bearer scheme", { authorization: `bearer ${t.valid}` }, 401),
    get("a valid function token after two spaces", { authorization: `Bearer  ${t.valid}` }, 401),
    get("a valid function token under the Basic scheme", { authorization: `Basic ${t.valid}` }, 401),
    { ...get("a function token for a prefix of the name (dev:who)", bearer(t.prefix), 403), watchdogStatus: 200 },
    get("health without a token", {}, 200, "/_/health"),
    get("readiness without a token", {}, 200, "/_/ready"),
    get("health with a query string", {}, 200, "/_/health?probe=1"),
    { ...get("health with POST", {}, 405, "/_/health"), method: "POST" },
    get("a path below health (not health)", {}, 401, "/_/health/"),
    { name: "async with a valid function token", method: "POST", path: "/env", headers: bearer(t.valid), async: true, status: 200 },
    { name: "async without a token", method: "POST", path: "/env", headers: {}, async: true, status: 401 },
    { name: "async with a garbage token", method: "POST", path: "/env", headers: bearer("not-a-jwt"), async: true, status: 401 },
    { name: "async with an API access token", method: "POST", path: "/env", headers: bearer(t.apiAccess), async: true, status: 403 },
  ];
}

/** Receives the async callbacks (`X-Callback-Url`) and hands them out by `X-Call-Id`. */
export class CallbackReceiver {
  private readonly received = new Map<string, { headers: IncomingHttpHeaders; body: string }>();
  private readonly waiting = new Map<string, (v: { headers: IncomingHttpHeaders; body: string }) => void>();
  private constructor(private readonly server: Server) {}

  static async start(): Promise<CallbackReceiver> {
    let receiver: CallbackReceiver | undefined;
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString("utf8")));
      req.on("end", () => {
        res.writeHead(204).end();
        receiver!.deliver(String(req.headers["x-call-id"]), { headers: req.headers, body });
      });
    });
    receiver = new CallbackReceiver(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/callback`;
  }

  /** The callback for `callId`, waiting up to `timeoutMs` for it. */
  next(callId: string, timeoutMs = 20_000): Promise<{ headers: IncomingHttpHeaders; body: string }> {
    const ready = this.received.get(callId);
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no callback for call ${callId} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.set(callId, (v) => {
        clearTimeout(timer);
        resolve(v);
      });
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private deliver(callId: string, value: { headers: IncomingHttpHeaders; body: string }): void {
    this.received.set(callId, value);
    this.waiting.get(callId)?.(value);
  }
}

/** What a request to the function got: status, the challenge header and the body. */
export interface AuthAnswer {
  status: number;
  challenge: string | null;
  internal: string | null;
  body: string;
}

/**
 * Sends a case through the sandbox gateway: `/function/<fn>.<ns><path>`, or for an async case
 * `/async-function/…` (expects 202) and the status of its callback.
 */
export async function viaSandbox(sandbox: Sandbox, callbacks: CallbackReceiver, c: AuthCase, target = TARGET): Promise<AuthAnswer> {
  const route = c.async ? "async-function" : "function";
  const headers = { ...c.headers, ...(c.method === "POST" ? { "content-type": "application/json" } : {}), ...(c.async ? { "x-callback-url": callbacks.url } : {}) };
  const res = await fetch(`${sandbox.url}/${route}/${target.name}.${target.namespace}${c.path}`, { method: c.method, headers, ...(c.method === "POST" ? { body: "{}" } : {}) });
  const body = await res.text();
  if (!c.async) return { status: res.status, challenge: res.headers.get("www-authenticate"), internal: res.headers.get("x-openfaas-internal"), body };
  if (res.status !== 202) throw new Error(`async ${c.name}: the gateway answered ${res.status}, not 202: ${body}`);
  const callback = await callbacks.next(res.headers.get("x-call-id") ?? "");
  return { status: Number(callback.headers["x-function-status"]), challenge: null, internal: null, body: callback.body };
}

/** A sandbox set up for the cases, with the tokens minted from it. */
export interface AuthSandbox {
  sandbox: Sandbox;
  tokens: CaseTokens;
  callbacks: CallbackReceiver;
  stop(): Promise<void>;
}

/** Runs `attempt` until it does not fail on an expired subject token (at most 5 times). */
async function shortLivedFunctionToken(attempt: () => Promise<string>): Promise<string> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      if (tries >= 5 || !/subject_token has expired/.test(String(err))) throw err;
    }
  }
}

/**
 * Starts the fixture sandbox with `whoami` under `jwt_auth=true` (and `open-whoami` without), the
 * extra callers, and mints every token of {@link CaseTokens}. `options.port` places the gateway
 * (the conformance test needs 127.0.0.1:8000, where the real watchdog looks for its issuer).
 */
export async function startAuthSandbox(options: SandboxOptions = {}): Promise<AuthSandbox> {
  const dir = await mkdtemp(join(tmpdir(), "sandbox-function-auth-"));
  const short = await ServiceAccountIssuer.start({ iss: SHORT_ISS });
  const cleanups: (() => Promise<void>)[] = [() => short.stop(), () => rm(dir, { recursive: true, force: true })];
  try {
    const doc = parseDocument(readFileSync(join(FIXTURE_ROOT, "stack.yml"), "utf8"));
    doc.setIn(["functions", "whoami", "handler"], join(FIXTURE_ROOT, "functions", "whoami"));
    doc.setIn(["functions", "whoami", "environment", "jwt_auth"], "true");
    const open = (doc.getIn(["functions", "whoami"]) as { clone(): unknown }).clone();
    doc.setIn(["functions", OPEN_TARGET.name], open);
    doc.deleteIn(["functions", OPEN_TARGET.name, "environment", "jwt_auth"]);
    doc.setIn(["functions", OPEN_TARGET.name, "image"], "fixture.local/open-whoami:latest");
    writeFileSync(join(dir, "stack.yml"), doc.toString());
    writeFileSync(
      join(dir, "callers.yaml"),
      [
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: tester, namespace: callers}",
        "apiVersion: iam.openfaas.com/v1\nkind: Policy\nmetadata: {name: invoke-dev-staging, namespace: openfaas}\nspec: {statement: [{sid: invoke, effect: Allow, action: [Function:Invoke], resource: ['dev:*', 'staging:*']}]}",
        `apiVersion: iam.openfaas.com/v1\nkind: Role\nmetadata: {name: tester, namespace: openfaas}\nspec: {policy: [invoke-dev-staging], principal: {"jwt:sub": ["system:serviceaccount:callers:tester", short-lived-caller]}}`,
        `apiVersion: iam.openfaas.com/v1\nkind: JwtIssuer\nmetadata: {name: short-lived, namespace: openfaas}\nspec: {iss: "${SHORT_ISS}", aud: ["${SHORT_AUD}"], issInternal: "${short.url}", tokenExpiry: 3s}`,
      ].join("\n---\n"),
    );
    const sandbox = await startFixtureSandbox({ runFunctions: true, stackFile: join(dir, "stack.yml"), manifestPaths: [join(dir, "callers.yaml")], ...options });
    cleanups.unshift(() => sandbox.stop());
    const callbacks = await CallbackReceiver.start();
    cleanups.unshift(() => callbacks.close());

    const functionToken = async (subject: string, audience: string): Promise<string> => {
      const r = await exchange(sandbox.url, { grant_type: GRANT, subject_token_type: ID_TOKEN, subject_token: subject, scope: "function", audience });
      if (r.status !== 200) throw new Error(`function token for ${audience}: ${r.text}`);
      return String(r.body["access_token"]);
    };
    const now = Math.floor(Date.now() / 1000);
    const shortSubject = await short.sign({ iss: SHORT_ISS, sub: "short-lived-caller", aud: [SHORT_AUD], iat: now, nbf: now, exp: now + 600 });
    // First, so that it has expired by the time the cases run (3 s lifetime plus the watchdog's 1 s
    // leeway, waited for below). On a loaded machine the 3 s can pass between the two exchanges; the
    // sandbox then refuses the access token as expired, and a fresh one is taken.
    const expired = await shortLivedFunctionToken(async () => functionToken(await accessTokenFor(sandbox.url, shortSubject), `${TARGET.namespace}:${TARGET.name}`));
    const subject = await sandbox.issuer.mint({ namespace: "callers", serviceAccount: "tester" });
    const apiAccess = await accessTokenFor(sandbox.url, subject);
    const valid = await functionToken(apiAccess, `${TARGET.namespace}:${TARGET.name}`);
    const validClaims = claimsOf(valid);
    const other = await AccessTokenService.create();
    other.setGatewayUrl("https://other-gateway.example.test");
    const grant = { permissions: [`${TARGET.namespace}:${TARGET.name}`], audience: [`${TARGET.namespace}:${TARGET.name}`] };
    const otherIssuer = await other.issueFunctionToken(validClaims, grant);
    other.setGatewayUrl(sandbox.url);
    const otherKey = await other.issueFunctionToken(validClaims, grant);
    const tokens: CaseTokens = {
      valid,
      expired,
      otherIssuer,
      otherKey,
      serviceAccount: subject,
      apiAccess,
      otherFunction: await functionToken(apiAccess, `${TARGET.namespace}:ns-admin`),
      otherNamespace: await functionToken(apiAccess, `staging:${TARGET.name}`),
      prefix: await functionToken(apiAccess, `${TARGET.namespace}:who`),
    };
    const expiredAt = Number(claimsOf(expired)["exp"]) * 1000;
    // Past exp and the watchdog's 1 s leeway (Go compares to the second; a little margin for clocks).
    const wait = expiredAt + 2_200 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    return {
      sandbox,
      tokens,
      callbacks,
      stop: async () => {
        for (const fn of cleanups) await fn().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const fn of cleanups) await fn().catch(() => undefined);
    throw err;
  }
}
