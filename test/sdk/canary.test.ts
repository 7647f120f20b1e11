/**
 * Canary tokens: every error path is forced while the fake servers echo whatever credential they
 * received; no canary may appear in any error (message, stack, cause chain, properties,
 * JSON.stringify, util.inspect), hook context, inspected SDK object, or console/stderr output.
 */
import type { ServerResponse } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BasicAuth,
  Client,
  ClientCredentialsTokenSource,
  exchangeToken,
  ServiceAccountTokenSource,
  TokenAuth,
  type ClientHooks,
  type TokenSource,
} from "@node-ts-iam/sdk";
import { fakeJwt, json, saToken, startServer, type SeenRequest, type TestServer } from "./helpers.js";

const CANARY_SA = saToken("system:serviceaccount:dev:canary", 3600, { canary: "sa-canary-7d1f" });
const CANARY_OPAQUE = "opaque-canary-token-5e9a7c3b1d";
const CANARY_PASSWORD = "canary-admin-password-42f0";
const CANARY_CLIENT_SECRET = "canary-client-secret-9b2e";
const issued: string[] = [];

function canaries(): string[] {
  const list = [CANARY_SA, CANARY_OPAQUE, CANARY_PASSWORD, CANARY_CLIENT_SECRET, Buffer.from(`admin:${CANARY_PASSWORD}`).toString("base64"), ...issued];
  // A JWT's payload and signature segments are secret material on their own.
  for (const token of [CANARY_SA, ...issued]) list.push(...token.split(".").slice(1).filter((part) => part.length >= 12));
  return list;
}

type TokenMode = "ok" | "oauth400" | "text401" | "json403" | "echo500" | "empty200" | "html200" | "reset" | "hang";
type ApiMode = "ok" | "401" | "403" | "404" | "409" | "422" | "500" | "503" | "reset" | "hang";
let tokenMode: TokenMode = "ok";
let apiMode: ApiMode = "ok";
let server: TestServer;
let dir: string;

function echoBody(req: SeenRequest): string {
  return `you sent authorization=${req.headers.authorization ?? ""} body=${req.body}`;
}

function answerToken(req: SeenRequest, res: ServerResponse): void {
  const subject = new URLSearchParams(req.body).get("subject_token") ?? new URLSearchParams(req.body).get("client_secret") ?? "";
  switch (tokenMode) {
    case "ok": {
      const token = fakeJwt({ sub: "fed:canary", n: issued.length, scope: new URLSearchParams(req.body).get("scope") });
      issued.push(token);
      return json(res, 200, { access_token: token, id_token: token, token_type: "Bearer", expires_in: 3600 });
    }
    case "oauth400":
      return json(res, 400, { error: "invalid_request", error_description: `No policies found for subject token ${subject}` });
    case "text401":
      return void res.writeHead(401, { "content-type": "text/plain" }).end(`bad token ${subject}`);
    case "json403":
      return json(res, 403, { message: `denied for ${subject}` });
    case "echo500":
      return void res.writeHead(500).end(echoBody(req));
    case "empty200":
      return json(res, 200, { access_token: "", token_type: "Bearer", echoed: subject });
    case "html200":
      return void res.writeHead(200, { "content-type": "text/html" }).end(`<html>${subject}</html>`);
    case "reset":
      return void res.socket?.destroy();
    case "hang":
      return;
  }
}

function answerApi(req: SeenRequest, res: ServerResponse): void {
  switch (apiMode) {
    case "ok":
      return json(res, 200, []);
    case "reset":
      return void res.socket?.destroy();
    case "hang":
      return;
    default:
      return void res.writeHead(Number(apiMode), { "retry-after": "0" }).end(echoBody(req));
  }
}

beforeAll(async () => {
  server = await startServer((req, res) => (req.url.pathname === "/oauth/token" || req.url.pathname === "/idp/token" ? answerToken(req, res) : answerApi(req, res)));
  dir = await mkdtemp(join(tmpdir(), "sdk-canary-"));
  await writeFile(join(dir, "openfaas-token"), CANARY_SA);
  await writeFile(join(dir, "opaque"), CANARY_OPAQUE);
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** Every way a value can be looked at. */
function views(value: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const visit = (v: unknown, depth: number): void => {
    if (depth > 6 || seen.has(v)) return;
    seen.add(v);
    out.push(inspect(v, { depth: Infinity, showHidden: true, getters: true }));
    try {
      out.push(JSON.stringify(v) ?? "");
    } catch {
      // circular: inspect covers it
    }
    out.push(String(v));
    if (typeof v === "object" && v !== null) {
      for (const key of Object.getOwnPropertyNames(v)) visit((v as Record<string, unknown>)[key], depth + 1);
    }
  };
  visit(value, 0);
  return out;
}

function leaks(value: unknown): string[] {
  const texts = views(value);
  return canaries().filter((c) => texts.some((t) => t.includes(c)));
}

const hookRecords: unknown[] = [];
const hooks: ClientHooks = {
  beforeRequest: [(ctx) => void hookRecords.push({ ...ctx, headers: { ...ctx.headers } })],
  afterResponse: [(ctx) => void hookRecords.push(ctx)],
  beforeRetry: [(ctx) => void hookRecords.push(ctx)],
};

function saAuth(options: Partial<ConstructorParameters<typeof TokenAuth>[0]> = {}): TokenAuth {
  return new TokenAuth({ source: new ServiceAccountTokenSource({ directory: dir }), tokenURL: `${server.url}/oauth/token`, minBackoffMs: 0, maxBackoffMs: 0, exchangeTimeoutMs: 400, ...options });
}

function saClient(auth: TokenAuth = saAuth()): Client {
  return new Client({ gatewayURL: server.url, auth, hooks, timeoutMs: 5_000, attemptTimeoutMs: 400, retries: { limit: 1, baseDelayMs: 1, maxDelayMs: 1 } });
}

interface Scenario {
  name: string;
  code: string;
  run: () => Promise<unknown>;
}

const scenarios: Scenario[] = [
  ...(
    [
      ["oauth400", "ERR_OAUTH"],
      ["text401", "ERR_UNAUTHORIZED"],
      ["json403", "ERR_FORBIDDEN"],
      ["echo500", "ERR_UNEXPECTED_STATUS"],
      ["empty200", "ERR_INVALID_RESPONSE"],
      ["html200", "ERR_INVALID_RESPONSE"],
      ["reset", "ERR_NETWORK"],
      ["hang", "ERR_TIMEOUT"],
    ] as const
  ).flatMap(([mode, code]): Scenario[] => [
    {
      name: `exchange ${mode} via client`,
      code,
      run: async () => {
        tokenMode = mode;
        return saClient().getNamespaces();
      },
    },
    {
      name: `exchangeToken ${mode}`,
      code,
      run: async () => {
        tokenMode = mode;
        return exchangeToken({ tokenURL: `${server.url}/oauth/token`, subjectToken: CANARY_SA, timeoutMs: 400 });
      },
    },
  ]),
  ...(
    [
      ["401", "ERR_UNAUTHORIZED"],
      ["403", "ERR_FORBIDDEN"],
      ["404", "ERR_NOT_FOUND"],
      ["409", "ERR_CONFLICT"],
      ["422", "ERR_UNEXPECTED_STATUS"],
      ["500", "ERR_UNEXPECTED_STATUS"],
      ["503", "ERR_UNEXPECTED_STATUS"],
      ["reset", "ERR_NETWORK"],
      ["hang", "ERR_TIMEOUT"],
    ] as const
  ).flatMap(([mode, code]): Scenario[] => [
    {
      name: `api ${mode} GET with a cached token`,
      code,
      run: async () => {
        tokenMode = "ok";
        apiMode = "ok";
        const client = saClient();
        await client.getFunctions("dev");
        apiMode = mode;
        return client.getFunctions("dev");
      },
    },
    {
      name: `api ${mode} POST`,
      code,
      run: async () => {
        tokenMode = "ok";
        apiMode = mode;
        return saClient().createSecret({ name: "db", namespace: "dev", value: "v" });
      },
    },
    {
      name: `api ${mode} with BasicAuth`,
      code,
      run: async () => {
        apiMode = mode;
        return new Client({ gatewayURL: server.url, auth: new BasicAuth("admin", CANARY_PASSWORD), hooks, attemptTimeoutMs: 400, retries: 0 }).getNamespaces();
      },
    },
    {
      name: `function ${mode} with a function token`,
      code,
      run: async () => {
        tokenMode = "ok";
        apiMode = mode;
        const client = new Client({ gatewayURL: server.url, auth: saAuth(), functionTokens: true, hooks, attemptTimeoutMs: 400, retries: 0 });
        return client.invokeFunction("hello", "dev", { method: "GET" });
      },
    },
    {
      name: `logs ${mode}`,
      code,
      run: async () => {
        tokenMode = "ok";
        apiMode = mode;
        for await (const _ of saClient().getLogs({ name: "hello", namespace: "dev" })) void _;
      },
    },
  ]),
  {
    name: "token file holding an opaque (non-JWT) token",
    code: "ERR_TOKEN_SOURCE",
    run: () => saClient(saAuth({ source: new ServiceAccountTokenSource({ path: join(dir, "opaque") }) })).getNamespaces(),
  },
  {
    name: "custom source failing with the token in its message",
    code: "ERR_TOKEN_SOURCE",
    run: () => {
      const source: TokenSource = { token: () => Promise.reject(new Error(`cannot use ${CANARY_OPAQUE}`)) };
      return saClient(saAuth({ source })).getNamespaces();
    },
  },
  {
    name: "client credentials rejected with the secret echoed",
    code: "ERR_OAUTH",
    run: () => {
      tokenMode = "oauth400";
      return new ClientCredentialsTokenSource({ tokenURL: `${server.url}/idp/token`, clientId: "c", clientSecret: CANARY_CLIENT_SECRET }).token();
    },
  },
  {
    name: "a throwing hook",
    code: "HOOK",
    run: async () => {
      tokenMode = "ok";
      apiMode = "ok";
      const client = new Client({
        gatewayURL: server.url,
        auth: saAuth(),
        hooks: {
          beforeRequest: [
            (ctx) => {
              hookRecords.push({ ...ctx, headers: { ...ctx.headers } });
              throw Object.assign(new Error("hook failed"), { code: "HOOK", context: ctx });
            },
          ],
        },
      });
      return client.getNamespaces();
    },
  },
];

describe("canary tokens never leak", () => {
  it(`through ${scenarios.length} forced error paths, hooks, inspected objects or console output`, async () => {
    const output: string[] = [];
    const originals = { out: process.stdout.write, err: process.stderr.write, log: console.log, warn: console.warn, error: console.error, info: console.info, debug: console.debug };
    const capture = (chunk: unknown): boolean => (output.push(String(chunk)), true);
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    for (const name of ["log", "warn", "error", "info", "debug"] as const) console[name] = (...args: unknown[]) => void output.push(args.map((a) => inspect(a)).join(" "));
    const results: Array<{ name: string; code: unknown; leaks: string[] }> = [];
    const inspected: unknown[] = [];
    try {
      for (const scenario of scenarios) {
        const error = await scenario.run().then(
          () => undefined,
          (e: unknown) => e,
        );
        results.push({ name: scenario.name, code: (error as { code?: unknown } | undefined)?.code, leaks: leaks(error) });
      }
      const auth = saAuth();
      await saClient(auth).getNamespaces().catch(() => undefined);
      inspected.push(await auth.authorize(), await new BasicAuth("admin", CANARY_PASSWORD).authorize(), auth, saClient(auth), new BasicAuth("admin", CANARY_PASSWORD), new ServiceAccountTokenSource({ directory: dir }), auth.forFunction("hello", "dev"));
    } finally {
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
      console.log = originals.log;
      console.warn = originals.warn;
      console.error = originals.error;
      console.info = originals.info;
      console.debug = originals.debug;
    }
    // Each path really was forced, with the expected typed error.
    expect(results.map((r) => [r.name, r.code])).toEqual(scenarios.map((s) => [s.name, s.code]));
    expect(results.filter((r) => r.leaks.length > 0)).toEqual([]);
    expect(issued.length).toBeGreaterThan(10);
    expect(hookRecords.length).toBeGreaterThan(scenarios.length);
    expect(leaks(hookRecords)).toEqual([]);
    expect(leaks(inspected)).toEqual([]);
    expect(canaries().filter((c) => output.some((o) => o.includes(c)))).toEqual([]);
    // The echoing server did receive the secrets, so a leak would have been caught.
    expect(server.seen.some((r) => r.body.includes(CANARY_SA))).toBe(true);
  });
});
