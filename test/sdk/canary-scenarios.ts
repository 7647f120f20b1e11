/**
 * Canary scenarios, shared by canary.test.ts (redaction on: nothing leaks) and
 * canary-redaction-off.test.ts (the same scenarios with redaction switched off: they leak, which
 * proves the first test can fail).
 *
 * The secrets are real-sized: a service account token minted by the sandbox's Kubernetes-style
 * issuer (RS256, the full `kubernetes.io` claim set), access and function tokens minted by the
 * sandbox gateway's token service (ES256), and a password and a client secret with characters that
 * percent-encoding and JSON escaping change. The servers echo whatever credential they received,
 * whole or in part, plain or encoded, through every path that builds an error.
 */
import type { ServerResponse } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { decodeJwt } from "jose";
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
import { fromGatewayError } from "@node-ts-iam/sdk/kit";
import { AccessTokenService } from "../../sandbox/src/iam/access-tokens.js";
import type { Claims } from "../../sandbox/src/iam/conditions.js";
import { ServiceAccountIssuer } from "../../sandbox/src/issuer/service-account-issuer.js";
import { json, startServer, type SeenRequest, type TestServer } from "./helpers.js";
import { LeakDetector } from "./leaks.js";

/** How a server echoes the credential it received. */
export const ECHO_FORMS = ["whole", "prefix", "middle", "suffix", "url-encoded", "json-escaped"] as const;
export type EchoForm = (typeof ECHO_FORMS)[number];

/** The `/u00xx` and `\/` escaping of Go, PHP and others, applied to a whole JSON text. */
function escapeLikeGo(jsonText: string): string {
  return jsonText.replace(/[/<>&'\u007f-\uffff]/g, (c) => (c === "/" ? "\\/" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
}

/** `secret` as a server puts it in an answer: whole, a 60 % (at most 500 character) prefix or suffix, the middle half, or encoded. */
export function echoed(secret: string, form: EchoForm): string {
  const n = secret.length;
  const part = Math.min(500, Math.ceil(n * 0.6));
  switch (form) {
    case "whole":
      return secret;
    case "prefix":
      return secret.slice(0, part);
    case "middle":
      return secret.slice(Math.floor(n * 0.25), Math.floor(n * 0.75));
    case "suffix":
      return secret.slice(n - part);
    case "url-encoded":
      return encodeURIComponent(secret);
    case "json-escaped":
      return escapeLikeGo(JSON.stringify(secret).slice(1, -1));
  }
}

/** A text body around the echo (JSON for `json-escaped`, so that the escaping is what a JSON peer sends). */
function echoText(what: string, secret: string, form: EchoForm): string {
  return form === "json-escaped" ? `{"message":"${what} ${echoed(secret, form)}"}` : `${what} ${echoed(secret, form)}`;
}

const TOKEN_STATUSES = [400, 401, 403, 404, 409, 500, 503] as const;
const API_STATUSES = [401, 403, 404, 409, 422, 500, 503] as const;
const CODE: Record<number, string> = {
  400: "ERR_OAUTH",
  401: "ERR_UNAUTHORIZED",
  403: "ERR_FORBIDDEN",
  404: "ERR_NOT_FOUND",
  409: "ERR_CONFLICT",
  422: "ERR_UNEXPECTED_STATUS",
  500: "ERR_UNEXPECTED_STATUS",
  503: "ERR_UNEXPECTED_STATUS",
};

type TokenMode = { echo: number; form: EchoForm } | "ok" | "empty200" | "reset" | "hang";
type ApiMode = { echo: number; form: EchoForm } | "ok" | "reset" | "hang" | "stall";

/** One forced error path. */
export interface Scenario {
  name: string;
  /** The error code the path must end in. */
  code: string;
  /** Whether the server echoed a credential (so that, without redaction, it must leak). */
  echoes: boolean;
  run: () => Promise<unknown>;
}

/** What running the scenarios produced. */
export interface CanaryRun {
  results: Array<{ name: string; expected: string; code: unknown; echoes: boolean; leaks: string[] }>;
  /** Leaks in hook contexts, inspected SDK objects, and console/stderr output. */
  hookLeaks: string[];
  objectLeaks: string[];
  outputLeaks: string[];
  hookRecords: number;
  /** Token sizes, to show that they are real-sized. */
  sizes: { serviceAccount: number; access: number[]; function: number[] };
  /** Whether the echoing servers received the secrets at all (else nothing could leak). */
  serverSawSecrets: boolean;
}

/** Runs every scenario against fresh servers and reports where canaries leaked. */
export async function runCanaries(): Promise<CanaryRun> {
  const issuer = await ServiceAccountIssuer.start({ defaultAudience: ["http://gateway.openfaas:8080"] });
  const accessTokens = await AccessTokenService.create();
  const detector = new LeakDetector();
  const password = "Canary/Pässwörd+<&>\"'\\=%20-42f0-7d1e";
  const clientSecret = "canary~client/secret+9b2e&<script>\"é\"=";
  // Long names make a token of the upper real size (Kubernetes tokens are 900-1,300 characters).
  const serviceAccount = await issuer.mint({
    namespace: "tenant-acme-production-eu-west",
    serviceAccount: "tenant-provisioner-canary-service-account",
    podName: "tenant-provisioner-canary-service-account-7d9f8b6c5d-x2k4q",
  });
  const claims = decodeJwt(serviceAccount) as Claims;
  const sizes = { serviceAccount: serviceAccount.length, access: [] as number[], function: [] as number[] };
  detector.add("service account token", serviceAccount);
  detector.add("admin password", password);
  detector.add("client secret", clientSecret);
  detector.add("basic credential", Buffer.from(`admin:${password}`).toString("base64"));
  const opaque = "opaque-canary-token-5e9a7c3b1d-0f2e4a6c8b";
  detector.add("opaque token", opaque);

  let tokenMode: TokenMode = "ok";
  let apiMode: ApiMode = "ok";
  const secretOf = (req: SeenRequest): string => {
    const form = new URLSearchParams(req.body);
    const fromForm = form.get("subject_token") ?? form.get("client_secret");
    if (fromForm !== null) return fromForm;
    const auth = req.headers.authorization ?? "";
    // A Basic credential is echoed decoded: the password itself, as a server complaining about it would.
    if (auth.startsWith("Basic ")) return Buffer.from(auth.slice(6), "base64").toString("utf8").split(":").slice(1).join(":");
    return auth.replace(/^Bearer /, "");
  };
  const answerToken = async (req: SeenRequest, res: ServerResponse): Promise<void> => {
    const mode = tokenMode;
    if (mode === "reset") return void res.socket?.destroy();
    if (mode === "hang") return;
    if (mode === "empty200") return json(res, 200, { access_token: "", token_type: "Bearer", echoed: secretOf(req) });
    if (mode === "ok") {
      const form = new URLSearchParams(req.body);
      const isFunction = form.get("scope") === "function";
      const token = isFunction
        ? await accessTokens.issueFunctionToken(decodeJwt(form.get("subject_token") ?? "") as Claims, { permissions: ["Function:Invoke"], audience: form.getAll("audience") })
        : await accessTokens.issue(claims, ["fn-admin", "ns-reader"], 3600);
      (isFunction ? sizes.function : sizes.access).push(token.length);
      detector.add(isFunction ? "function token" : "access token", token);
      return json(res, 200, { access_token: token, id_token: token, token_type: "Bearer", expires_in: 3600 });
    }
    const secret = secretOf(req);
    const { echo: status, form } = mode;
    const headers = status === 503 ? { "retry-after": "0" } : {};
    if (status === 400) {
      // An OAuth error body: the SDK parses it, so the description reaches the error unescaped.
      const body = `{"error":"invalid_grant","error_description":${form === "json-escaped" ? `"rejected ${echoed(secret, form)}"` : JSON.stringify(`rejected ${echoed(secret, form)}`)}}`;
      return void res.writeHead(400, { "content-type": "application/json", ...headers }).end(body);
    }
    if (status === 403 && form !== "json-escaped") return json(res, 403, { message: `denied for ${echoed(secret, form)}` });
    res.writeHead(status, headers).end(echoText("bad token", secret, form));
  };
  const answerApi = (req: SeenRequest, res: ServerResponse): void => {
    const mode = apiMode;
    if (mode === "ok") return json(res, 200, []);
    if (mode === "reset") return void res.socket?.destroy();
    if (mode === "hang") return;
    if (mode === "stall") {
      // A head and half a body with the credential in it, then nothing: the SDK must time out and never quote it.
      res.writeHead(200, { "content-type": "application/json" });
      return void res.write(`["${secretOf(req)}`);
    }
    const { echo: status, form } = mode;
    const headers: Record<string, string> = status === 503 ? { "retry-after": "0" } : status === 401 ? { "www-authenticate": "Bearer" } : {};
    // The credential without its scheme name: "Bearer …" would be caught by shape alone.
    res.writeHead(status, headers).end(echoText("access denied for credential", secretOf(req), form));
  };

  const server: TestServer = await startServer((req, res) =>
    req.url.pathname === "/oauth/token" || req.url.pathname === "/idp/token" ? answerToken(req, res) : answerApi(req, res),
  );
  accessTokens.setGatewayUrl(server.url);
  const dir = await mkdtemp(join(tmpdir(), "sdk-canary-"));
  await writeFile(join(dir, "openfaas-token"), serviceAccount);
  await writeFile(join(dir, "opaque"), opaque);

  const hookRecords: unknown[] = [];
  const hooks: ClientHooks = {
    beforeRequest: [(ctx) => void hookRecords.push({ ...ctx, headers: { ...ctx.headers } })],
    afterResponse: [(ctx) => void hookRecords.push(ctx)],
    beforeRetry: [(ctx) => void hookRecords.push(ctx)],
  };
  // Timeouts are generous (a loaded machine must not turn an echo into a timeout); the scenarios
  // that are about timing out set short ones of their own.
  const saAuth = (options: Partial<ConstructorParameters<typeof TokenAuth>[0]> = {}): TokenAuth =>
    new TokenAuth({ source: new ServiceAccountTokenSource({ directory: dir }), tokenURL: `${server.url}/oauth/token`, minBackoffMs: 0, maxBackoffMs: 0, exchangeTimeoutMs: 5_000, ...options });
  const saClient = (auth: TokenAuth = saAuth(), options: Partial<ConstructorParameters<typeof Client>[0]> = {}): Client =>
    new Client({ gatewayURL: server.url, auth, hooks, timeoutMs: 10_000, retries: { limit: 1, baseDelayMs: 1, maxDelayMs: 1 }, ...options });
  const basicClient = (): Client => new Client({ gatewayURL: server.url, auth: new BasicAuth("admin", password), hooks, retries: 0 });

  const echoScenarios = (statuses: readonly number[], paths: Array<[string, (mode: { echo: number; form: EchoForm }) => Promise<unknown>]>): Scenario[] =>
    statuses.flatMap((status) =>
      ECHO_FORMS.flatMap((form) =>
        paths.map(([path, run]): Scenario => ({ name: `${path} ${status} ${form}`, code: CODE[status]!, echoes: true, run: () => run({ echo: status, form }) })),
      ),
    );
  const scenarios: Scenario[] = [
    ...echoScenarios(TOKEN_STATUSES, [
      [
        "exchangeToken",
        (mode) => {
          tokenMode = mode;
          return exchangeToken({ tokenURL: `${server.url}/oauth/token`, subjectToken: serviceAccount, timeoutMs: 5_000 });
        },
      ],
      [
        "token auth via client",
        (mode) => {
          tokenMode = mode;
          return saClient().getNamespaces();
        },
      ],
    ]),
    ...echoScenarios([400, 401, 500], [
      [
        "client credentials",
        (mode) => {
          tokenMode = mode;
          return new ClientCredentialsTokenSource({ tokenURL: `${server.url}/idp/token`, clientId: "c", clientSecret }).token();
        },
      ],
    ]),
    ...echoScenarios(API_STATUSES, [
      [
        "api GET with a cached token",
        async (mode) => {
          tokenMode = "ok";
          apiMode = "ok";
          const client = saClient();
          await client.getFunctions("dev");
          apiMode = mode;
          return client.getFunctions("dev");
        },
      ],
      [
        "api POST",
        (mode) => {
          tokenMode = "ok";
          apiMode = mode;
          return saClient().createSecret({ name: "db", namespace: "dev", value: "v" });
        },
      ],
      [
        "api with BasicAuth",
        (mode) => {
          apiMode = mode;
          return basicClient().getNamespaces();
        },
      ],
      [
        "logs",
        async (mode) => {
          tokenMode = "ok";
          apiMode = mode;
          for await (const _ of saClient().getLogs({ name: "hello", namespace: "dev" })) void _;
        },
      ],
      [
        "invoke with a function token",
        (mode) => {
          tokenMode = "ok";
          apiMode = mode;
          const client = new Client({ gatewayURL: server.url, auth: saAuth(), functionTokens: true, hooks, retries: 0 });
          return client.invokeFunction("hello", "dev", { method: "GET" });
        },
      ],
    ]),
    ...(
      [
        ["exchange with an answer that echoes in a 200", "ERR_INVALID_RESPONSE", () => ((tokenMode = "empty200"), exchangeToken({ tokenURL: `${server.url}/oauth/token`, subjectToken: serviceAccount }))],
        ["exchange reset", "ERR_NETWORK", () => ((tokenMode = "reset"), saClient().getNamespaces())],
        ["exchange hang", "ERR_TIMEOUT", () => ((tokenMode = "hang"), exchangeToken({ tokenURL: `${server.url}/oauth/token`, subjectToken: serviceAccount, timeoutMs: 300 }))],
        ["api reset", "ERR_NETWORK", () => ((tokenMode = "ok"), (apiMode = "reset"), saClient().getNamespaces())],
        ["api hang", "ERR_TIMEOUT", () => ((tokenMode = "ok"), (apiMode = "hang"), saClient(saAuth(), { attemptTimeoutMs: 300 }).getNamespaces())],
        ["api body stalls after the credential", "ERR_TIMEOUT", () => ((tokenMode = "ok"), (apiMode = "stall"), saClient(saAuth(), { bodyIdleTimeoutMs: 200 }).getNamespaces())],
        ["token file holding an opaque (non-JWT) token", "ERR_TOKEN_SOURCE", () => saClient(saAuth({ source: new ServiceAccountTokenSource({ path: join(dir, "opaque") }) })).getNamespaces()],
        [
          "custom source failing with the token in its message",
          "ERR_TOKEN_SOURCE",
          () => {
            const source: TokenSource = { token: () => Promise.reject(new Error(`cannot use ${opaque} or ${serviceAccount}`)) };
            return saClient(saAuth({ source })).getNamespaces();
          },
        ],
        [
          "a throwing hook",
          "HOOK",
          () => {
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
        ],
      ] as Array<[string, string, () => Promise<unknown>]>
    ).map(([name, code, run]): Scenario => ({ name, code, echoes: false, run })),
  ];

  const output: string[] = [];
  const originals = { out: process.stdout.write, err: process.stderr.write, log: console.log, warn: console.warn, error: console.error, info: console.info, debug: console.debug };
  const capture = (chunk: unknown): boolean => (output.push(String(chunk)), true);
  const errors: Array<{ scenario: Scenario; error: unknown }> = [];
  const inspected: unknown[] = [];
  try {
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    for (const name of ["log", "warn", "error", "info", "debug"] as const) console[name] = (...args: unknown[]) => void output.push(args.map((a) => inspect(a)).join(" "));
    for (const scenario of scenarios) {
      const error = await scenario.run().then(
        () => undefined,
        (e: unknown) => e,
      );
      errors.push({ scenario, error });
    }
    tokenMode = "ok";
    apiMode = "ok";
    const auth = saAuth();
    await saClient(auth).getNamespaces();
    inspected.push(await auth.authorize(), await new BasicAuth("admin", password).authorize(), auth, saClient(auth), new BasicAuth("admin", password), new ServiceAccountTokenSource({ directory: dir }), auth.forFunction("hello", "dev"));
  } finally {
    process.stdout.write = originals.out;
    process.stderr.write = originals.err;
    console.log = originals.log;
    console.warn = originals.warn;
    console.error = originals.error;
    console.info = originals.info;
    console.debug = originals.debug;
    await server.close();
    await issuer.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return {
    // Each error is looked at as it is, and as the handler kit would answer it to an API's caller.
    results: errors.map(({ scenario, error }) => ({
      name: scenario.name,
      expected: scenario.code,
      code: (error as { code?: unknown } | undefined)?.code,
      echoes: scenario.echoes,
      leaks: detector.leaks([error, fromGatewayError(error).toResponse()]),
    })),
    hookLeaks: detector.leaks(hookRecords),
    objectLeaks: detector.leaks(inspected),
    outputLeaks: detector.find(output),
    hookRecords: hookRecords.length,
    sizes,
    serverSawSecrets: server.seen.some((r) => r.body.includes(serviceAccount)) && server.seen.some((r) => (r.headers.authorization ?? "").startsWith("Basic ")),
  };
}
