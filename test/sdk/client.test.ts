import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  BasicAuth,
  Client,
  ConflictError,
  exchangeToken,
  ForbiddenError,
  InvalidArgumentError,
  InvalidResponseError,
  NotFoundError,
  StaticTokenSource,
  TimeoutError,
  TokenAuth,
  UnauthorizedError,
  UnexpectedStatusError,
  type BeforeRequestContext,
  type ClientAuth,
} from "@node-ts-iam/sdk";
import { json, startFakeGateway, type FakeGateway, type SeenRequest } from "./helpers.js";

type Handler = (req: SeenRequest, res: ServerResponse) => void;
let routes: Record<string, Handler> = {};
let gw: FakeGateway;
let auth: TokenAuth;
let client: Client;

beforeAll(async () => {
  gw = await startFakeGateway({
    api: (req, res) => {
      const handler = routes[`${req.method} ${req.url.pathname}`];
      if (handler) return handler(req, res);
      res.writeHead(404).end(`no route ${req.method} ${req.url.pathname}`);
    },
  });
});
afterAll(() => gw.close());
beforeEach(() => {
  routes = {};
  auth = new TokenAuth({ source: new StaticTokenSource("subject"), tokenURL: `${gw.url}/oauth/token` });
  client = new Client({ gatewayURL: gw.url, auth, retries: { limit: 2, baseDelayMs: 1, maxDelayMs: 2 } });
});

const fn = { name: "hello", image: "ghcr.io/x/hello:1", namespace: "dev", replicas: 1, availableReplicas: 1, labels: null, envVars: { A: "b" } };
const last = (): SeenRequest => gw.seen.at(-1)!;
const lastBody = (): unknown => JSON.parse(last().body);

describe("Client methods", () => {
  it("getFunctions / getFunction put namespace in the query", async () => {
    routes["GET /system/functions"] = (_req, res) => json(res, 200, [fn]);
    routes["GET /system/function/hello"] = (_req, res) => json(res, 200, fn);
    expect(await client.getFunctions("dev")).toEqual([fn]);
    expect(last().url.search).toBe("?namespace=dev");
    expect(last().headers.authorization).toBe(`Bearer ${gw.issued[gw.issued.length - 1]}`);
    expect(await client.getFunction("hello", "dev")).toEqual(fn);
    expect(last().url.searchParams.get("namespace")).toBe("dev");
    await client.getFunctions();
    expect(last().url.search).toBe("");
  });

  it("deploy / update send the spec and resolve any 2xx status", async () => {
    routes["POST /system/functions"] = (_req, res) => res.writeHead(202).end();
    routes["PUT /system/functions"] = (_req, res) => res.writeHead(200).end();
    const spec = { service: "hello", image: "img:1", namespace: "dev", annotations: { "com.openfaas.serviceaccount": "hello" } };
    expect(await client.deploy(spec)).toBe(202);
    expect(lastBody()).toEqual(spec);
    expect(last().headers["content-type"]).toBe("application/json");
    expect(await client.update(spec)).toBe(200);
    expect(last().method).toBe("PUT");
  });

  it("deleteFunction and scaleFunction put namespace in the body", async () => {
    routes["DELETE /system/functions"] = (_req, res) => res.writeHead(202).end();
    routes["POST /system/scale-function/hello"] = (_req, res) => res.writeHead(204).end();
    await client.deleteFunction("hello", "dev");
    expect(lastBody()).toEqual({ functionName: "hello", namespace: "dev" });
    expect(last().url.search).toBe("");
    await client.scaleFunction("hello", "dev", 3);
    expect(lastBody()).toEqual({ serviceName: "hello", namespace: "dev", replicas: 3 });
  });

  it("secrets: list in query, writes in body", async () => {
    routes["GET /system/secrets"] = (_req, res) => json(res, 200, [{ name: "db", namespace: "dev", value: "leak?" }]);
    routes["POST /system/secrets"] = (_req, res) => res.writeHead(201).end();
    routes["PUT /system/secrets"] = (_req, res) => res.writeHead(202).end();
    routes["DELETE /system/secrets"] = (_req, res) => res.writeHead(204).end();
    expect(await client.getSecrets("dev")).toEqual([{ name: "db", namespace: "dev" }]);
    expect(last().url.search).toBe("?namespace=dev");
    expect(await client.createSecret({ name: "db", namespace: "dev", value: "pw" })).toBe(201);
    expect(lastBody()).toEqual({ name: "db", namespace: "dev", value: "pw" });
    expect(await client.updateSecret({ name: "db", namespace: "dev", rawValue: "cHc=" })).toBe(202);
    expect(lastBody()).toEqual({ name: "db", namespace: "dev", rawValue: "cHc=" });
    await client.deleteSecret("db", "dev");
    expect(lastBody()).toEqual({ name: "db", namespace: "dev" });
  });

  it("namespaces: list, get, create (trailing slash), update, delete", async () => {
    routes["GET /system/namespaces"] = (_req, res) => json(res, 200, ["openfaas-fn", "dev"]);
    routes["GET /system/namespace/dev"] = (_req, res) => json(res, 200, { name: "dev", labels: { openfaas: "1" }, annotations: { openfaas: "1" } });
    routes["POST /system/namespace/"] = (_req, res) => res.writeHead(201).end();
    routes["PUT /system/namespace/dev"] = (_req, res) => res.writeHead(202).end();
    routes["DELETE /system/namespace/dev"] = (_req, res) => res.writeHead(202).end();
    expect(await client.getNamespaces()).toEqual(["openfaas-fn", "dev"]);
    expect(await client.getNamespace("dev")).toEqual({ name: "dev", labels: { openfaas: "1" }, annotations: { openfaas: "1" } });
    // As createSecret and deploy (and the Go SDK): a create or update resolves the 2xx status.
    expect(await client.createNamespace({ name: "dev", labels: { team: "a" } })).toBe(201);
    expect(lastBody()).toEqual({ name: "dev", labels: { team: "a" }, annotations: {} });
    expect(await client.updateNamespace({ name: "dev", annotations: { x: "y" } })).toBe(202);
    expect(last().method).toBe("PUT");
    await client.deleteNamespace("dev");
    expect(lastBody()).toEqual({ name: "dev" });
  });

  it("getInfo validates the GatewayInfo shape", async () => {
    const info = { provider: { provider: "faas-netes", orchestration: "kubernetes", version: { sha: "abc", release: "0.1" } }, version: { sha: "def", release: "0.27.0" }, arch: "x86_64" };
    routes["GET /system/info"] = (_req, res) => json(res, 200, info);
    expect(await client.getInfo()).toEqual(info);
    routes["GET /system/info"] = (_req, res) => json(res, 200, { provider: null, version: null });
    await expect(client.getInfo()).rejects.toBeInstanceOf(InvalidResponseError);
  });

  it("works with BasicAuth and with a gateway URL that has a path prefix", async () => {
    routes["GET /prefix/system/namespaces"] = (_req, res) => json(res, 200, []);
    const open = await startFakeGateway({ open: true, api: (req, res) => (req.url.pathname === "/prefix/system/namespaces" ? json(res, 200, ["a"]) : res.writeHead(404).end()) });
    try {
      const basic = new Client({ gatewayURL: `${open.url}/prefix/`, auth: new BasicAuth("admin", "pw") });
      expect(await basic.getNamespaces()).toEqual(["a"]);
      expect(open.seen.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from("admin:pw").toString("base64")}`);
    } finally {
      await open.close();
    }
  });

  it("takes a custom auth's credential from peek() when it has one at hand, else from authorize()", async () => {
    const open = await startFakeGateway({ open: true, api: (_req, res) => json(res, 200, ["a"]) });
    try {
      const calls: string[] = [];
      let atHand: string | undefined = "Custom ready";
      const custom: ClientAuth = {
        authorize: async () => {
          calls.push("authorize");
          return { authorization: () => "Custom awaited" };
        },
        peek: () => {
          calls.push("peek");
          return atHand === undefined ? undefined : { authorization: () => atHand! };
        },
      };
      const peeking = new Client({ gatewayURL: open.url, auth: custom });
      await peeking.getNamespaces();
      expect(open.seen.at(-1)!.headers.authorization).toBe("Custom ready");
      atHand = undefined;
      await peeking.getNamespaces();
      expect(open.seen.at(-1)!.headers.authorization).toBe("Custom awaited");
      expect(calls).toEqual(["peek", "peek", "authorize"]);
      const { peek: _unused, ...withoutPeek } = custom;
      await new Client({ gatewayURL: open.url, auth: withoutPeek }).getNamespaces();
      expect(open.seen.at(-1)!.headers.authorization).toBe("Custom awaited");
    } finally {
      await open.close();
    }
  });
});

describe("Client response validation and arguments", () => {
  it.each([
    ["GET /system/functions", () => client.getFunctions("dev"), { not: "an array" }],
    ["GET /system/functions", () => client.getFunctions("dev"), [{ name: "x" }]],
    ["GET /system/functions", () => client.getFunctions("dev"), [{ name: "x", image: "i", replicas: "two" }]],
    ["GET /system/namespaces", () => client.getNamespaces(), ["ok", 3]],
    ["GET /system/secrets", () => client.getSecrets("dev"), [{ namespace: "dev" }]],
  ])("rejects a malformed %s body", async (route, call, body) => {
    routes[route] = (_req, res) => json(res, 200, body);
    const error = await call().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ code: "ERR_INVALID_RESPONSE", status: 200 });
  });

  it("rejects a non-JSON body", async () => {
    routes["GET /system/namespaces"] = (_req, res) => res.writeHead(200).end("<html>");
    await expect(client.getNamespaces()).rejects.toBeInstanceOf(InvalidResponseError);
  });

  it.each([
    () => client.getFunction("../system/info", "dev"),
    () => client.getFunction("Hello", "dev"),
    () => client.getFunctions("dev/x"),
    () => client.scaleFunction("hello", "dev", -1),
    () => client.scaleFunction("hello", "dev", 1.5),
    () => client.deploy({ service: "hello", image: "" }),
    () => client.createSecret({ name: "db", namespace: "dev" }),
    () => client.createSecret({ name: "db", rawValue: "not base64!" }),
    () => client.createNamespace({ name: "a".repeat(64) }),
    () => client.invokeFunction("hello", "dev", { path: "/../../system/secrets" }),
    () => client.invokeFunction("hello", "dev", { path: "/%2e%2e/system" }),
    () => client.invokeFunction("hello", "dev", { callbackUrl: "http://cb" }),
    () => client.getNamespaces({ timeoutMs: 0 }),
    () => client.getNamespaces({ timeoutMs: -1 }),
    () => client.getNamespaces({ timeoutMs: Number.NaN }),
    () => exchangeToken({ tokenURL: `${gw.url}/oauth/token`, subjectToken: "s", timeoutMs: Infinity }),
  ])("refuses bad arguments before any request (%#)", async (call) => {
    const before = gw.seen.length;
    const error = await call().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).code).toBe("ERR_INVALID_ARGUMENT");
    expect(gw.seen.length).toBe(before);
  });

  it("refuses timeouts that are not positive (an exchange always has a finite one)", () => {
    expect(() => new Client({ gatewayURL: gw.url, timeoutMs: 0 })).toThrow(InvalidArgumentError);
    expect(() => new Client({ gatewayURL: gw.url, attemptTimeoutMs: Infinity })).toThrow(InvalidArgumentError);
    expect(() => new TokenAuth({ source: new StaticTokenSource("s"), tokenURL: gw.url, exchangeTimeoutMs: 0 })).toThrow(InvalidArgumentError);
    expect(() => new Client({ gatewayURL: gw.url, timeoutMs: Infinity })).not.toThrow();
  });

  it("refuses a gateway URL with credentials or a bad scheme", () => {
    expect(() => new Client({ gatewayURL: "http://u:p@gw" })).toThrow(InvalidArgumentError);
    expect(() => new Client({ gatewayURL: "ftp://gw" })).toThrow(InvalidArgumentError);
    expect(() => new Client({ gatewayURL: "not a url" })).toThrow(InvalidArgumentError);
  });
});

describe("Client errors", () => {
  it.each([
    [401, UnauthorizedError, "ERR_UNAUTHORIZED"],
    [403, ForbiddenError, "ERR_FORBIDDEN"],
    [404, NotFoundError, "ERR_NOT_FOUND"],
    [409, ConflictError, "ERR_CONFLICT"],
    [400, UnexpectedStatusError, "ERR_UNEXPECTED_STATUS"],
    [422, UnexpectedStatusError, "ERR_UNEXPECTED_STATUS"],
    [500, UnexpectedStatusError, "ERR_UNEXPECTED_STATUS"],
  ])("maps %i to its typed error with method, path, status and gateway message", async (status, type, code) => {
    routes["POST /system/functions"] = (_req, res) => res.writeHead(status).end(`kube says ${status}\n`);
    const error = await client.deploy({ service: "hello", image: "img" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ code, method: "POST", path: "/system/functions", status, gatewayMessage: `kube says ${status}` });
    expect((error as Error).message).toBe(`POST /system/functions: HTTP ${status}: kube says ${status}`);
  });

  it("rejects with the caller's abort reason", async () => {
    routes["GET /system/namespaces"] = () => undefined; // hangs
    const controller = new AbortController();
    const pending = client.getNamespaces({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error("user cancelled")), 20);
    await expect(pending).rejects.toThrow("user cancelled");
  });

  it("times out with TimeoutError (per-call timeoutMs)", async () => {
    routes["GET /system/namespaces"] = () => undefined;
    const error = await client.getNamespaces({ timeoutMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: "ERR_TIMEOUT", method: "GET", path: "/system/namespaces", timeoutMs: 50 });
  });
});

describe("401 replay", () => {
  it("invalidates a token issued before the request, re-exchanges and replays once", async () => {
    routes["GET /system/namespaces"] = (_req, res) => json(res, 200, ["dev"]);
    await client.getNamespaces();
    const first = gw.issued.at(-1)!;
    gw.revoked.add(first);
    const exchangesBefore = gw.exchanges.length;
    expect(await client.getNamespaces()).toEqual(["dev"]);
    expect(gw.exchanges.length).toBe(exchangesBefore + 1);
    expect(last().headers.authorization).toBe(`Bearer ${gw.issued.at(-1)}`);
    expect(gw.issued.at(-1)).not.toBe(first);
  });

  it("replays only once", async () => {
    routes["GET /system/namespaces"] = (_req, res) => res.writeHead(401).end("no");
    await client.getNamespaces().catch(() => undefined); // obtains a token
    const before = gw.seen.filter((r) => r.url.pathname === "/system/namespaces").length;
    await expect(client.getNamespaces()).rejects.toBeInstanceOf(UnauthorizedError);
    expect(gw.seen.filter((r) => r.url.pathname === "/system/namespaces").length - before).toBe(2);
  });

  it("does not replay when the token was obtained during the failing call", async () => {
    routes["GET /system/namespaces"] = (_req, res) => res.writeHead(401).end("no");
    const before = gw.seen.filter((r) => r.url.pathname === "/system/namespaces").length;
    await expect(client.getNamespaces()).rejects.toBeInstanceOf(UnauthorizedError);
    expect(gw.seen.filter((r) => r.url.pathname === "/system/namespaces").length - before).toBe(1);
    expect(auth.stats.fetches).toBe(1);
  });
});

describe("hooks", () => {
  it("run around each attempt without seeing the token", async () => {
    routes["GET /system/namespaces"] = (_req, res) => json(res, 200, []);
    const seen: BeforeRequestContext[] = [];
    const after: number[] = [];
    const hooked = new Client({
      gatewayURL: gw.url,
      auth,
      hooks: {
        beforeRequest: [
          (ctx) => {
            seen.push({ ...ctx, headers: { ...ctx.headers } });
            ctx.headers["x-trace"] = "t1";
            ctx.headers.authorization = "Bearer forged";
          },
        ],
        afterResponse: [(ctx) => void after.push(ctx.status)],
      },
    });
    await hooked.getNamespaces();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.authorization).toBeUndefined();
    expect(JSON.stringify(seen)).not.toContain(gw.issued.at(-1)!);
    expect(last().headers["x-trace"]).toBe("t1");
    expect(last().headers.authorization).toBe(`Bearer ${gw.issued.at(-1)}`);
    expect(after).toEqual([200]);
  });

  it("see the credential only with exposeCredentials", async () => {
    routes["GET /system/namespaces"] = (_req, res) => json(res, 200, []);
    let header: string | undefined;
    const hooked = new Client({ gatewayURL: gw.url, auth, hooks: { exposeCredentials: true, beforeRequest: [(ctx) => void (header = ctx.headers.authorization)] } });
    await hooked.getNamespaces();
    expect(header).toBe(`Bearer ${gw.issued.at(-1)}`);
  });

  it("cannot redirect the credential by mutating the URL it sees", async () => {
    routes["GET /system/namespaces"] = (_req, res) => json(res, 200, ["dev"]);
    const hooked = new Client({ gatewayURL: gw.url, auth, hooks: { beforeRequest: [(ctx) => void (ctx.url.href = "http://127.0.0.1:9/steal")] } });
    const before = gw.seen.length;
    expect(await hooked.getNamespaces()).toEqual(["dev"]);
    expect(gw.seen.slice(before).map((r) => r.url.pathname)).toContain("/system/namespaces");
  });

  it("a throwing hook fails the call with its own error", async () => {
    const hooked = new Client({ gatewayURL: gw.url, auth, hooks: { beforeRequest: [() => { throw new Error("hook says no"); }] } });
    await expect(hooked.getNamespaces()).rejects.toThrow("hook says no");
  });
});
