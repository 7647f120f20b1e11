import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BasicAuth, Client, InvalidArgumentError, StaticTokenSource, TokenAuth, UnexpectedStatusError } from "@node-ts-iam/sdk";
import { fakeJwt, json, startServer, type SeenRequest, type TestServer } from "./helpers.js";

/** Gateway fake: API tokens `api-N`, function tokens `fn-<audience>-N`; functions echo what they got. */
let gw: TestServer;
let exchanges: URLSearchParams[] = [];
let rejectFunctionToken: string | undefined;
beforeAll(async () => {
  gw = await startServer((req, res) => {
    if (req.url.pathname === "/oauth/token") {
      const form = new URLSearchParams(req.body);
      exchanges.push(form);
      const n = exchanges.length;
      const token = form.get("scope") === "function" ? fakeJwt({ aud: form.getAll("audience"), n }) : `api-${n}`;
      return json(res, 200, { access_token: token, token_type: "Bearer", expires_in: 3600 });
    }
    if (req.url.pathname.startsWith("/async-function/")) {
      return res.writeHead(202, { "x-call-id": "call-123" }).end();
    }
    if (req.url.pathname.startsWith("/function/")) {
      if (rejectFunctionToken && req.headers.authorization === `Bearer ${rejectFunctionToken}`) return res.writeHead(401).end();
      if (req.url.pathname.endsWith("/fail")) return res.writeHead(418).end("teapot");
      return json(res, 200, echo(req), { "x-fn": "yes" });
    }
    res.writeHead(404).end();
  });
});
afterAll(() => gw.close());
beforeEach(() => {
  exchanges = [];
  rejectFunctionToken = undefined;
});

function echo(req: SeenRequest): Record<string, unknown> {
  return { method: req.method, path: req.url.pathname, query: req.url.search, body: req.body, auth: req.headers.authorization ?? null, custom: req.headers["x-custom"] ?? null, callback: req.headers["x-callback-url"] ?? null };
}

function newClient(functionTokens = false): { client: Client; auth: TokenAuth } {
  const auth = new TokenAuth({ source: new StaticTokenSource("sa-token"), tokenURL: `${gw.url}/oauth/token` });
  return { client: new Client({ gatewayURL: gw.url, auth, functionTokens }), auth };
}

describe("invokeFunction", () => {
  it("invokes synchronously with method, sub-path, query, body and headers, and never sends the API token", async () => {
    const { client } = newClient();
    await client.getNamespaces().catch(() => undefined); // make sure an API token exists
    const result = await client.invokeFunction("hello", "dev", { method: "PUT", path: "/items/1", query: { a: "1", b: ["x", "y"] }, body: "payload", headers: { "x-custom": "c" } });
    expect(result.status).toBe(200);
    expect(result.headers["x-fn"]).toBe("yes");
    expect(JSON.parse(result.body.toString())).toEqual({ method: "PUT", path: "/function/hello.dev/items/1", query: "?a=1&b=x&b=y", body: "payload", auth: null, custom: "c", callback: null });
    expect(result.callId).toBeUndefined();
  });

  it("queues asynchronously with X-Callback-Url and returns the call id", async () => {
    const { client } = newClient();
    const result = await client.invokeFunction("hello", "dev", { async: true, body: Buffer.from("x"), callbackUrl: "http://receiver.dev:8080/cb" });
    expect(result).toMatchObject({ status: 202, callId: "call-123" });
    const req = gw.seen.at(-1)!;
    expect(req.method).toBe("POST");
    expect(req.url.pathname).toBe("/async-function/hello.dev");
    expect(req.headers["x-callback-url"]).toBe("http://receiver.dev:8080/cb");
  });

  it("uses a function token exchanged with scope=function and audience=<ns>:<name>, cached per function", async () => {
    const { client } = newClient(true);
    const first = JSON.parse((await client.invokeFunction("hello", "dev")).body.toString()) as { auth: string };
    await client.invokeFunction("hello", "dev");
    const other = JSON.parse((await client.invokeFunction("bye", "prod")).body.toString()) as { auth: string };
    const api = exchanges.filter((f) => f.get("scope") !== "function");
    const fnEx = exchanges.filter((f) => f.get("scope") === "function");
    expect(api).toHaveLength(1);
    expect(api[0]!.get("subject_token")).toBe("sa-token");
    expect(fnEx.map((f) => f.getAll("audience"))).toEqual([["dev:hello"], ["prod:bye"]]);
    expect(fnEx.every((f) => f.get("subject_token") === "api-1")).toBe(true);
    expect(first.auth).toMatch(/^Bearer ey/);
    expect(first.auth).not.toContain("api-1");
    expect(other.auth).not.toBe(first.auth);
  });

  it("functionAuth per call overrides the client default", async () => {
    const { client } = newClient(true);
    const plain = JSON.parse((await client.invokeFunction("hello", "dev", { functionAuth: false })).body.toString()) as { auth: unknown };
    expect(plain.auth).toBeNull();
    expect(exchanges).toHaveLength(0);
  });

  it("replays once with a new function token after a 401", async () => {
    const { client, auth } = newClient(true);
    await client.invokeFunction("hello", "dev");
    rejectFunctionToken = (await auth.forFunction("hello", "dev").token()) as string;
    const result = await client.invokeFunction("hello", "dev");
    expect(result.status).toBe(200);
    expect(exchanges.filter((f) => f.get("scope") === "function")).toHaveLength(2);
  });

  it("throws typed errors for non-2xx unless throwHttpErrors is false", async () => {
    const { client } = newClient();
    const error = await client.invokeFunction("hello", "dev", { path: "/fail" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnexpectedStatusError);
    expect(error).toMatchObject({ status: 418, gatewayMessage: "teapot", path: "/function/hello.dev/fail" });
    const result = await client.invokeFunction("hello", "dev", { path: "/fail", throwHttpErrors: false });
    expect(result.status).toBe(418);
    expect(result.body.toString()).toBe("teapot");
  });

  it("needs TokenAuth and a namespace for function auth", async () => {
    const basic = new Client({ gatewayURL: gw.url, auth: new BasicAuth("admin", "pw") });
    await expect(basic.invokeFunction("hello", "dev", { functionAuth: true })).rejects.toBeInstanceOf(InvalidArgumentError);
    const { client } = newClient();
    await expect(client.invokeFunction("hello", undefined, { functionAuth: true })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
