/**
 * The HTTP API kit (`@node-ts-iam/sdk/kit`): router answers, ApiError answers, the mapping of the
 * SDK's real errors (from a real Client against a fake gateway that echoes credentials) with canary
 * tokens that must never reach an answer, the request readers, and the handler adapter.
 */
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, ForbiddenError, StaticTokenSource, TokenAuth, UnexpectedStatusError, type FunctionContext, type FunctionHeaders } from "@node-ts-iam/sdk";
import { ApiError, createRouter, fromGatewayError, gatewayStatusError, hasErrorCode, json, serveApi, withErrorAnswers } from "@node-ts-iam/sdk/kit";
import { intQuery, isDnsLabel, jsonBody, onlyKeys, optionalString, optionalStringArray, optionalStringMap, queryParam, requireName } from "@node-ts-iam/sdk/kit";
import type { ApiRequest, ApiResponse } from "@node-ts-iam/sdk/kit";
import { saToken, startFakeGateway, json as sendJson, type FakeGateway } from "./helpers.js";

const request = (method: string, path: string, extra: Partial<ApiRequest> = {}): ApiRequest => ({ method, path, query: {}, headers: {}, body: undefined, ...extra });

/** Runs `fn` and returns what it threw as an ApiError (fails the test if it did not throw one). */
async function thrown(fn: () => unknown): Promise<ApiError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error("expected an ApiError");
}

describe("router", () => {
  const route = createRouter([
    { pattern: "/", methods: { GET: async () => json(200, { root: true }) } },
    {
      pattern: "/items/:id",
      methods: {
        GET: async (_req, params) => json(200, { id: params["id"] }),
        DELETE: async (_req, params) => json(200, { deleted: params["id"] }),
      },
    },
  ]);

  it("dispatches by path and method, decoding parameters", async () => {
    expect((await route(request("GET", "/"))).body).toEqual({ root: true });
    expect((await route(request("get", "/items/a%20b/"))).body).toEqual({ id: "a b" });
    expect((await route(request("DELETE", "/items/7"))).body).toEqual({ deleted: "7" });
  });

  it("answers 404 ROUTE_NOT_FOUND for an unknown path", async () => {
    const error = await thrown(() => route(request("GET", "/items")));
    expect(error.toResponse()).toEqual({
      status: 404,
      headers: { "content-type": "application/json; charset=utf-8" },
      body: { code: "ROUTE_NOT_FOUND", message: "no such route" },
    });
  });

  it("answers 405 METHOD_NOT_ALLOWED with Allow listing the path's methods", async () => {
    const answer = (await thrown(() => route(request("PUT", "/items/1")))).toResponse();
    expect(answer.status).toBe(405);
    expect(answer.headers["allow"]).toBe("DELETE, GET");
    expect(answer.body).toMatchObject({ code: "METHOD_NOT_ALLOWED", allow: "DELETE, GET" });
  });

  it("answers 400 INVALID_NAME for a path that cannot be decoded", async () => {
    expect((await thrown(() => route(request("GET", "/items/%E0%A4%A")))).toResponse().status).toBe(400);
  });
});

describe("ApiError", () => {
  it("answers {code, message, ...details} with its status and headers", () => {
    const error = new ApiError<"TEAPOT">(418, "TEAPOT", "short and stout", { field: "pot" }, { "retry-after": "5" });
    expect(error).toBeInstanceOf(Error);
    expect(error.toResponse()).toEqual({
      status: 418,
      headers: { "content-type": "application/json; charset=utf-8", "retry-after": "5" },
      body: { code: "TEAPOT", message: "short and stout", field: "pot" },
    });
  });
});

describe("fromGatewayError with the SDK's real errors", () => {
  const CANARY_SA = saToken("system:serviceaccount:dev:api-kit", 3600, { canary: "api-kit-canary-3c8e" });
  let gw: FakeGateway;
  let tokenStatus = 200;
  beforeAll(async () => {
    gw = await startFakeGateway({
      // A hostile token endpoint and gateway: both echo every credential they received.
      token: (req, res, n) =>
        tokenStatus === 200
          ? sendJson(res, 200, { access_token: `${CANARY_SA.split(".")[0]}.access-${n}-aaaaaaaaaa.bbbbbbbbbb`, token_type: "Bearer", expires_in: 3600 })
          : sendJson(res, tokenStatus, { error: "invalid_grant", error_description: `bad subject token ${req.body}` }),
      open: true,
      api: (req, res) => {
        const status = Number(req.url.searchParams.get("namespace")?.slice(1) ?? "500");
        if (status === 999) return; // hang
        const echo = `${req.headers.authorization ?? ""} ${CANARY_SA}`;
        if (status === 422) return sendJson(res, 422, { message: `invalid spec; you sent ${echo}` });
        res.writeHead(status, { "content-type": "text/plain" }).end(`refused for ${req.url.searchParams.get("namespace")}: ${echo}`);
      },
    });
  });
  afterAll(() => gw.close());

  // The default deadline is generous so that a loaded machine never turns an answer into a timeout;
  // only the call to the hanging route gets a short one.
  const client = (timeoutMs = 30_000): Client =>
    new Client({ gatewayURL: gw.url, auth: new TokenAuth({ source: new StaticTokenSource(CANARY_SA), tokenURL: `${gw.url}/oauth/token` }), retries: 0, timeoutMs });

  async function answerFor(call: (c: Client) => Promise<unknown>, timeoutMs?: number): Promise<ApiResponse> {
    let caught: unknown;
    try {
      await call(client(timeoutMs));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeDefined();
    const answer = fromGatewayError(caught).toResponse();
    const text = `${JSON.stringify(answer)} ${inspect(answer, { depth: 10 })}`;
    for (const secret of [CANARY_SA, ...CANARY_SA.split(".").slice(1), "api-kit-canary", "access-"]) expect(text).not.toContain(secret);
    // SDK messages name gateway paths; only the gateway's reason is passed on.
    expect(text).not.toContain("/system/");
    return answer;
  }

  it.each([
    [403, 403, "GATEWAY_FORBIDDEN"],
    [404, 404, "NOT_FOUND"],
    [409, 409, "CONFLICT"],
    [400, 400, "GATEWAY_REJECTED"],
    [422, 422, "GATEWAY_REJECTED"],
    [500, 502, "GATEWAY_UNAVAILABLE"],
    [401, 502, "GATEWAY_AUTH_FAILED"],
  ])("gateway %i answers %i %s, passing on the reason without credentials", async (gatewayStatus, status, code) => {
    tokenStatus = 200;
    const answer = await answerFor((c) => c.getFunctions(`n${gatewayStatus}`));
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ code });
    if (gatewayStatus === 403) expect((answer.body as { reason: string }).reason).toMatch(/^refused for n403: /);
    if (gatewayStatus === 422) expect((answer.body as { message: string }).message).toMatch(/^invalid spec; you sent /);
  });

  it("a failed token exchange is 502 GATEWAY_AUTH_FAILED", async () => {
    tokenStatus = 400;
    const answer = await answerFor((c) => c.getFunctions("n200"));
    expect(answer).toMatchObject({ status: 502, body: { code: "GATEWAY_AUTH_FAILED" } });
  });

  it("a timeout is 504 GATEWAY_TIMEOUT, an invalid argument 400 GATEWAY_REJECTED", async () => {
    tokenStatus = 200;
    expect((await answerFor((c) => c.getFunctions("n999"), 300)).body).toMatchObject({ code: "GATEWAY_TIMEOUT" });
    expect((await answerFor((c) => c.getFunctions("Not A Name"))).body).toMatchObject({ code: "GATEWAY_REJECTED" });
  });

  it("an unreachable gateway is 502 GATEWAY_UNAVAILABLE", async () => {
    const closed = await startFakeGateway();
    const url = closed.url;
    await closed.close();
    let caught: unknown;
    await new Client({ gatewayURL: url, retries: 0 }).getNamespaces().catch((error: unknown) => (caught = error));
    expect(fromGatewayError(caught).toResponse()).toMatchObject({ status: 502, body: { code: "GATEWAY_UNAVAILABLE" } });
  });

  it("passes ApiErrors through, hides anything else as 500 INTERNAL, redacts token-shaped reasons", () => {
    const own = new ApiError(409, "MINE", "mine");
    expect(fromGatewayError(own)).toBe(own);
    const internal = fromGatewayError(new Error(`database password ${CANARY_SA}`)).toResponse();
    expect(internal).toMatchObject({ status: 500, body: { code: "INTERNAL", message: "internal error" } });
    expect(fromGatewayError("a string").status).toBe(500);
    // An error shaped like the SDK's (another copy of it, a test double) is recognised by its code.
    const shaped = Object.assign(new Error("x"), { code: "ERR_FORBIDDEN", status: 403, gatewayMessage: `{"message":"nope for Bearer ${CANARY_SA}"}` });
    const answer = fromGatewayError(shaped).toResponse();
    expect(answer.body).toMatchObject({ code: "GATEWAY_FORBIDDEN", reason: "nope for Bearer [redacted]" });
    expect(JSON.stringify(answer)).not.toContain(CANARY_SA.split(".")[1]!);
    expect(fromGatewayError(Object.assign(new Error("x"), { code: "ENOENT" })).status).toBe(500);
  });
});

describe("test doubles", () => {
  it("gatewayStatusError builds the Client's own typed error, which maps like a real one", () => {
    const forbidden = gatewayStatusError(403, "forbidden: list on prod:*");
    expect(forbidden).toBeInstanceOf(ForbiddenError);
    expect(hasErrorCode(forbidden, "ERR_FORBIDDEN")).toBe(true);
    expect(hasErrorCode(forbidden, "ERR_NOT_FOUND")).toBe(false);
    expect(fromGatewayError(forbidden).toResponse().body).toEqual({ code: "GATEWAY_FORBIDDEN", message: "forbidden: list on prod:*", reason: "forbidden: list on prod:*" });
    const unexpected = gatewayStatusError(503, "");
    expect(unexpected).toBeInstanceOf(UnexpectedStatusError);
    expect(fromGatewayError(unexpected).toResponse()).toMatchObject({ status: 502, body: { code: "GATEWAY_UNAVAILABLE", message: "the gateway answered 503" } });
    expect(hasErrorCode(new Error("plain"), "ERR_FORBIDDEN")).toBe(false);
  });
});

describe("request readers", () => {
  const body = (value: unknown, type?: string): ApiRequest => request("POST", "/", { body: value, headers: type === undefined ? {} : { "content-type": type } });

  it("checks RFC 1123 names", async () => {
    expect(isDnsLabel("team-a")).toBe(true);
    for (const bad of ["Team", "-a", "a-", "a_b", "a".repeat(64), "", 7]) expect(isDnsLabel(bad)).toBe(false);
    expect(requireName("dev", "namespace")).toBe("dev");
    expect((await thrown(() => requireName("Dev", "namespace"))).toResponse()).toMatchObject({ status: 400, body: { code: "INVALID_NAME", field: "namespace" } });
  });

  it("reads a JSON object body only with a JSON media type, parsed or as text and Buffers", async () => {
    expect(jsonBody(body({ a: 1 }, "application/json"))).toEqual({ a: 1 });
    expect(jsonBody(body('{"a":2}', "Application/JSON; charset=utf-8"))).toEqual({ a: 2 });
    expect(jsonBody(body(Buffer.from('{"a":3}'), "application/merge-patch+json"))).toEqual({ a: 3 });
    expect(jsonBody(body('{"a":4}', "application/vnd.api+json"))).toEqual({ a: 4 });
    // Text that does not parse is the template server's MALFORMED_JSON; JSON that is not an object is INVALID_BODY.
    expect((await thrown(() => jsonBody(body("{nope", "application/json")))).toResponse()).toMatchObject({ status: 400, body: { code: "MALFORMED_JSON" } });
    expect((await thrown(() => jsonBody(body(Buffer.from("{nope"), "application/json")))).toResponse()).toMatchObject({ status: 400, body: { code: "MALFORMED_JSON" } });
    for (const bad of ["[1]", "null"]) {
      expect((await thrown(() => jsonBody(body(bad, "application/json")))).toResponse()).toMatchObject({ status: 400, body: { code: "INVALID_BODY" } });
    }
    expect((await thrown(() => jsonBody(body(undefined, "application/merge-patch+json")))).toResponse()).toMatchObject({ status: 400, body: { code: "INVALID_BODY" } });
  });

  it("answers 415 to every body a page on another site can send without a preflight, and to other non-JSON types", async () => {
    // A CORS "simple request": text/plain, a form, multipart, or no Content-Type at all.
    const crossSite: [unknown, string | undefined][] = [
      ['{"name":"csrf"}', "text/plain"],
      ['{"name":"csrf"}', "text/plain;charset=UTF-8"],
      [{ name: "csrf" }, "application/x-www-form-urlencoded"],
      ['{"name":"csrf"}', "multipart/form-data; boundary=x"],
      ['{"name":"csrf"}', undefined],
      [Buffer.from('{"name":"csrf"}'), undefined],
    ];
    const others: [unknown, string][] = [
      ['{"a":1}', "text/json"],
      ['{"a":1}', "application/jsonp"],
      ['{"a":1}', "application/json-seq"],
      ['{"a":1}', "application/+json"],
      ['{"a":1}', "image/png"],
    ];
    for (const [value, type] of [...crossSite, ...others]) {
      const answer = (await thrown(() => jsonBody(body(value, type)))).toResponse();
      expect(answer, `${type}`).toMatchObject({ status: 415, body: { code: "UNSUPPORTED_MEDIA_TYPE", allowed: ["application/json", "*/*+json"] } });
    }
  });

  it("takes an empty body as {} under emptyAsObject when it is untyped, JSON or text, never another type", async () => {
    expect(jsonBody(body(undefined), { emptyAsObject: true })).toEqual({});
    expect(jsonBody(body("", "text/plain"), { emptyAsObject: true })).toEqual({});
    expect(jsonBody(body(Buffer.alloc(0), "application/json"), { emptyAsObject: true })).toEqual({});
    expect((await thrown(() => jsonBody(body(undefined, "image/png"), { emptyAsObject: true }))).status).toBe(415);
    expect((await thrown(() => jsonBody(body("", "application/x-www-form-urlencoded"), { emptyAsObject: true }))).status).toBe(415);
    // Not empty: the type decides, as without the option.
    expect((await thrown(() => jsonBody(body('{"dryRun":false}', "text/plain"), { emptyAsObject: true }))).status).toBe(415);
    expect(jsonBody(body({ dryRun: true }, "application/json"), { emptyAsObject: true })).toEqual({ dryRun: true });
  });

  it("rejects unknown keys and wrongly typed optional fields", async () => {
    expect(() => onlyKeys({ a: 1 }, ["a", "b"])).not.toThrow();
    expect((await thrown(() => onlyKeys({ a: 1, typo: 2 }, ["a"]))).toResponse().body).toMatchObject({ code: "INVALID_BODY", allowedFields: ["a"] });
    expect(optionalString({ s: "x" }, "s", 3)).toBe("x");
    expect(optionalString({}, "s", 3)).toBeUndefined();
    expect((await thrown(() => optionalString({ s: "long" }, "s", 3))).details).toEqual({ field: "s" });
    expect(optionalStringMap({ m: { k: "v" } }, "m")).toEqual({ k: "v" });
    expect((await thrown(() => optionalStringMap({ m: { k: 1 } }, "m"))).code).toBe("INVALID_BODY");
    expect((await thrown(() => optionalStringMap({ m: { a: "1", b: "2" } }, "m", 1))).code).toBe("INVALID_BODY");
    expect(optionalStringArray({ l: ["a", "b"] }, "l", isDnsLabel)).toEqual(["a", "b"]);
    expect((await thrown(() => optionalStringArray({ l: ["a", "B"] }, "l", isDnsLabel))).details).toEqual({ field: "l" });
  });

  it("reads query parameters with bounds", async () => {
    const q = (query: ApiRequest["query"]): ApiRequest => request("GET", "/", { query });
    expect(queryParam(q({ a: ["1", "2"] }), "a")).toBe("1");
    expect(intQuery(q({}), "tail", 1, 10, 5)).toBe(5);
    expect(intQuery(q({ tail: "7" }), "tail", 1, 10, 5)).toBe(7);
    for (const bad of ["0", "11", "-1", "1.5", "abc"]) {
      expect((await thrown(() => intQuery(q({ tail: bad }), "tail", 1, 10, 5))).toResponse()).toMatchObject({
        status: 400,
        body: { code: "INVALID_QUERY", field: "tail" },
      });
    }
  });
});

describe("withErrorAnswers and serveApi", () => {
  /** A handler context that records the answer. */
  function recordingContext(): FunctionContext & { answer?: { status: number; headers: FunctionHeaders; body: unknown } } {
    let status = 200;
    let headers: FunctionHeaders = {};
    const context = {
      status(code?: number) {
        if (code === undefined) return status;
        status = code;
        return context;
      },
      headers(value?: FunctionHeaders) {
        if (value === undefined) return headers;
        headers = value;
        return context;
      },
      succeed(body?: unknown) {
        context.answer = { status, headers, body };
      },
      fail() {
        throw new Error("fail() must not be used");
      },
    } as FunctionContext & { answer?: { status: number; headers: FunctionHeaders; body: unknown } };
    return context;
  }

  const api = createRouter([
    { pattern: "/ok", methods: { GET: async () => json(201, { ok: true }, { "x-extra": "1" }) } },
    { pattern: "/teapot", methods: { GET: async () => Promise.reject(new ApiError(418, "TEAPOT", "no coffee")) } },
    { pattern: "/crash", methods: { GET: async () => Promise.reject(new TypeError("secret internals at /srv/app.js:12")) } },
  ]);

  it("answers through the handler context, errors as JSON, 5xx logged without internals", async () => {
    const lines: string[] = [];
    const handler = serveApi(api, { service: "kit", log: (line) => lines.push(line) });
    const call = async (path: string) => {
      const context = recordingContext();
      await handler({ method: "GET", path, query: {}, headers: {}, body: undefined }, context, () => {});
      return context.answer!;
    };
    expect(await call("/ok")).toEqual({ status: 201, headers: { "content-type": "application/json; charset=utf-8", "x-extra": "1" }, body: { ok: true } });
    expect(await call("/teapot")).toMatchObject({ status: 418, body: { code: "TEAPOT", message: "no coffee" } });
    expect(await call("/nowhere")).toMatchObject({ status: 404, body: { code: "ROUTE_NOT_FOUND" } });
    expect(lines).toEqual([]);
    const crash = await call("/crash");
    expect(crash).toEqual({ status: 500, headers: { "content-type": "application/json; charset=utf-8" }, body: { code: "INTERNAL", message: "internal error" } });
    expect(lines).toEqual(["kit: GET /crash -> 500 INTERNAL (cause unknown)"]);
  });

  it("lets an API map its own wrapper errors and logs the wrapped cause's code", async () => {
    class Wrapper extends Error {
      constructor(override readonly cause: unknown) {
        super("wrapped");
      }
    }
    const lines: string[] = [];
    const wrapped = withErrorAnswers(
      async () => {
        throw new Wrapper(Object.assign(new Error("x"), { code: "ERR_TIMEOUT" }));
      },
      {
        service: "kit",
        log: (line) => lines.push(line),
        toApiError: (error) => {
          const inner = fromGatewayError(error instanceof Wrapper ? error.cause : error);
          return new ApiError(inner.status, inner.code, inner.message, { ...inner.details, step: 3 });
        },
      },
    );
    expect(await wrapped(request("POST", "/x"))).toMatchObject({ status: 504, body: { code: "GATEWAY_TIMEOUT", step: 3 } });
    expect(lines).toEqual(["kit: POST /x -> 504 GATEWAY_TIMEOUT (cause ERR_TIMEOUT)"]);
  });

  it("serveApi is the one layer: a router's error reaches its options, which an inner withErrorAnswers would hide", async () => {
    const seen: unknown[] = [];
    const options = { service: "kit", log: () => {}, toApiError: (error: unknown) => (seen.push(error), fromGatewayError(error)) };
    const answer = async (handler: ReturnType<typeof serveApi>) => {
      const context = recordingContext();
      await handler({ method: "GET", path: "/teapot", query: {}, headers: {}, body: undefined }, context, () => {});
      return context.answer!;
    };
    expect(await answer(serveApi(api, options))).toMatchObject({ status: 418, body: { code: "TEAPOT" } });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(ApiError);
    // Wrapped twice, the inner layer answers and the outer one (with the options) never runs.
    expect(await answer(serveApi(withErrorAnswers(api), options))).toMatchObject({ status: 418 });
    expect(seen).toHaveLength(1);
  });
});
