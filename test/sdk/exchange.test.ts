import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  exchangeToken,
  InvalidArgumentError,
  InvalidResponseError,
  NotFoundError,
  OAuthError,
  TimeoutError,
  TokenSourceError,
  UnauthorizedError,
  UnexpectedStatusError,
} from "@node-ts-iam/sdk";
import { fakeJwt, json, startServer, type SeenRequest, type TestServer } from "./helpers.js";

type Answer = (req: SeenRequest, res: import("node:http").ServerResponse) => void;
let answer: Answer = (_req, res) => json(res, 200, { access_token: "tok-abc", token_type: "Bearer", expires_in: 7200 });
let server: TestServer;
let tokenURL: string;

beforeAll(async () => {
  server = await startServer((req, res) => answer(req, res));
  tokenURL = `${server.url}/oauth/token`;
});
afterAll(() => server.close());

function answerWith(status: number, body: unknown, headers: Record<string, string> = {}): void {
  answer = (_req, res) => json(res, status, body, headers);
}

describe("exchangeToken request", () => {
  it("sends the RFC 8693 form fields, space-joined scope and one audience field per audience", async () => {
    answerWith(200, { access_token: "tok-abc", token_type: "Bearer", expires_in: 7200 });
    const result = await exchangeToken({ tokenURL, subjectToken: "subject-jwt", scope: ["function", "extra"], audience: ["dev:fn", "dev:other"] });
    const req = server.seen.at(-1)!;
    expect(req.method).toBe("POST");
    expect(req.url.pathname).toBe("/oauth/token");
    expect(req.url.search).toBe("");
    expect(req.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    const form = new URLSearchParams(req.body);
    expect(form.get("grant_type")).toBe("urn:ietf:params:oauth:grant-type:token-exchange");
    expect(form.get("subject_token_type")).toBe("urn:ietf:params:oauth:token-type:id_token");
    expect(form.get("subject_token")).toBe("subject-jwt");
    expect(form.get("scope")).toBe("function extra");
    expect(form.getAll("audience")).toEqual(["dev:fn", "dev:other"]);
    expect(result).toEqual({ accessToken: "tok-abc", tokenType: "Bearer", expiresInMs: 7_200_000, expiresInSource: "response", issuedTokenType: undefined });
  });

  it("omits scope and audience when not asked for", async () => {
    answerWith(200, { access_token: "t", token_type: "bearer", expires_in: 10 });
    await exchangeToken({ tokenURL, subjectToken: "s" });
    const form = new URLSearchParams(server.seen.at(-1)!.body);
    expect(form.has("scope")).toBe(false);
    expect(form.has("audience")).toBe(false);
  });

  it("refuses an empty subject token without a request", async () => {
    const before = server.seen.length;
    await expect(exchangeToken({ tokenURL, subjectToken: "  " })).rejects.toBeInstanceOf(TokenSourceError);
    expect(server.seen.length).toBe(before);
  });

  it("always has a timeout", async () => {
    answer = () => undefined; // never answers
    const error = await exchangeToken({ tokenURL, subjectToken: "s", timeoutMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).code).toBe("ERR_TIMEOUT");
    expect((error as TimeoutError).path).toBe("/oauth/token");
  });
});

describe("exchangeToken response validation", () => {
  it.each([
    ["Bearer", 7200, 7_200_000],
    ["bearer", "3600", 3_600_000],
    ["BEARER", " 60 ", 60_000],
    ["Bearer", 1.5, 1_500],
  ])("accepts token_type %s with expires_in %j (seconds), as expiresInMs %j", async (tokenType, expiresIn, ms) => {
    answerWith(200, { access_token: "t", token_type: tokenType, expires_in: expiresIn });
    const r = await exchangeToken({ tokenURL, subjectToken: "s" });
    expect(r.expiresInMs).toBe(ms);
    expect(r.tokenType).toBe("Bearer");
  });

  it.each([
    [{ token_type: "Bearer", expires_in: 10 }, "access_token"],
    [{ access_token: "", token_type: "Bearer", expires_in: 10 }, "access_token"],
    [{ access_token: 42, token_type: "Bearer", expires_in: 10 }, "access_token"],
    [{ access_token: "t", expires_in: 10 }, "token_type"],
    [{ access_token: "t", token_type: "mac", expires_in: 10 }, "token_type"],
    [{ access_token: "t", token_type: "Bearer", expires_in: -1 }, "expires_in"],
    [{ access_token: "t", token_type: "Bearer", expires_in: "soon" }, "expires_in"],
    [{ access_token: "t", token_type: "Bearer", expires_in: true }, "expires_in"],
    [["not", "an", "object"], "JSON object"],
  ])("rejects %j", async (body, problem) => {
    answerWith(200, body);
    const error = await exchangeToken({ tokenURL, subjectToken: "s" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as InvalidResponseError).code).toBe("ERR_INVALID_RESPONSE");
    expect((error as Error).message).toContain(problem);
  });

  it("rejects a non-JSON 200", async () => {
    answer = (_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html>proxy</html>");
    await expect(exchangeToken({ tokenURL, subjectToken: "s" })).rejects.toBeInstanceOf(InvalidResponseError);
  });

  it("assumes a short configurable lifetime when expires_in is missing or 0, never forever", async () => {
    answerWith(200, { access_token: "t", token_type: "Bearer" });
    expect(await exchangeToken({ tokenURL, subjectToken: "s" })).toMatchObject({ expiresInMs: 60_000, expiresInSource: "assumed" });
    expect(await exchangeToken({ tokenURL, subjectToken: "s", assumedLifetimeMs: 5_000 })).toMatchObject({ expiresInMs: 5_000 });
    answerWith(200, { access_token: "t", token_type: "Bearer", expires_in: 0 });
    expect(await exchangeToken({ tokenURL, subjectToken: "s" })).toMatchObject({ expiresInMs: 60_000, expiresInSource: "assumed" });
  });

  it("uses the access token's exp when expires_in is missing, and the earlier of the two otherwise", async () => {
    const jwt = fakeJwt({ exp: Math.floor(Date.now() / 1000) + 300 });
    answerWith(200, { access_token: jwt, token_type: "Bearer" });
    const fromJwt = await exchangeToken({ tokenURL, subjectToken: "s" });
    expect(fromJwt.expiresInSource).toBe("jwt");
    expect(fromJwt.expiresInMs).toBeGreaterThan(290_000);
    expect(fromJwt.expiresInMs).toBeLessThanOrEqual(300_000);
    answerWith(200, { access_token: jwt, token_type: "Bearer", expires_in: 7200 });
    expect((await exchangeToken({ tokenURL, subjectToken: "s" })).expiresInMs).toBeLessThanOrEqual(300_000);
  });
});

describe("exchangeToken lifetime ceiling", () => {
  it("keeps an opaque token no longer than 24 h, however long expires_in says (1e10 s = 317 years)", async () => {
    answerWith(200, { access_token: "opaque", token_type: "Bearer", expires_in: 1e10 });
    expect(await exchangeToken({ tokenURL, subjectToken: "s" })).toMatchObject({ expiresInMs: 86_400_000, expiresInSource: "response" });
    answerWith(200, { access_token: "opaque", token_type: "Bearer", expires_in: "10000000000" });
    expect(await exchangeToken({ tokenURL, subjectToken: "s" })).toMatchObject({ expiresInMs: 86_400_000 });
    expect(await exchangeToken({ tokenURL, subjectToken: "s", maxLifetimeMs: 600_000 })).toMatchObject({ expiresInMs: 600_000 });
    // Below the ceiling, the response's own value stands.
    answerWith(200, { access_token: "opaque", token_type: "Bearer", expires_in: 3600 });
    expect(await exchangeToken({ tokenURL, subjectToken: "s" })).toMatchObject({ expiresInMs: 3_600_000 });
  });

  it("keeps a JWT no longer than its own exp when expires_in is huge, and no longer than the ceiling when exp is far", async () => {
    const soon = fakeJwt({ exp: Math.floor(Date.now() / 1000) + 300 });
    answerWith(200, { access_token: soon, token_type: "Bearer", expires_in: 1e10 });
    const capped = await exchangeToken({ tokenURL, subjectToken: "s" });
    expect(capped.expiresInMs).toBeGreaterThan(290_000);
    expect(capped.expiresInMs).toBeLessThanOrEqual(300_000);
    const far = fakeJwt({ exp: Math.floor(Date.now() / 1000) + 1e10 });
    answerWith(200, { access_token: far, token_type: "Bearer" });
    expect(await exchangeToken({ tokenURL, subjectToken: "s" })).toMatchObject({ expiresInMs: 86_400_000, expiresInSource: "jwt" });
    answerWith(200, { access_token: far, token_type: "Bearer", expires_in: 1e10 });
    expect(await exchangeToken({ tokenURL, subjectToken: "s", maxLifetimeMs: 120_000 })).toMatchObject({ expiresInMs: 120_000 });
  });

  it("caps the assumed lifetime too, and refuses a ceiling that is not a positive finite number", async () => {
    answerWith(200, { access_token: "opaque", token_type: "Bearer" });
    expect(await exchangeToken({ tokenURL, subjectToken: "s", assumedLifetimeMs: 7_200_000, maxLifetimeMs: 60_000 })).toMatchObject({ expiresInMs: 60_000, expiresInSource: "assumed" });
    for (const maxLifetimeMs of [0, -1, Infinity, Number.NaN]) {
      await expect(exchangeToken({ tokenURL, subjectToken: "s", maxLifetimeMs })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
  });
});

describe("exchangeToken errors", () => {
  it.each([400, 401, 403, 404, 429])("parses an OAuth JSON error on %i", async (status) => {
    answerWith(status, { error: "invalid_request", error_description: "No policies found for subject: fed:x" }, { "retry-after": "3" });
    const error = await exchangeToken({ tokenURL, subjectToken: "s" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OAuthError);
    const oauth = error as OAuthError;
    expect(oauth).toMatchObject({ code: "ERR_OAUTH", status, error: "invalid_request", errorDescription: "No policies found for subject: fed:x" });
    expect(oauth.method).toBe("POST");
    expect(oauth.path).toBe("/oauth/token");
    expect(oauth.retryAfterMs).toBe(3000);
  });

  it("copes with non-JSON 4xx bodies", async () => {
    answer = (_req, res) => res.writeHead(401, { "content-type": "text/plain" }).end("issuer not registered\n");
    const error = await exchangeToken({ tokenURL, subjectToken: "s" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect((error as UnauthorizedError).gatewayMessage).toBe("issuer not registered");
    answer = (_req, res) => res.writeHead(404).end();
    expect(await exchangeToken({ tokenURL, subjectToken: "s" }).catch((e: unknown) => e)).toBeInstanceOf(NotFoundError);
    answerWith(400, { message: "not oauth" });
    const plain = await exchangeToken({ tokenURL, subjectToken: "s" }).catch((e: unknown) => e);
    expect(plain).toBeInstanceOf(UnexpectedStatusError);
    expect((plain as UnexpectedStatusError).status).toBe(400);
  });

  it("maps 5xx to UnexpectedStatusError with Retry-After", async () => {
    answer = (_req, res) => res.writeHead(503, { "retry-after": "2" }).end("overloaded");
    const error = await exchangeToken({ tokenURL, subjectToken: "s" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnexpectedStatusError);
    expect(error).toMatchObject({ status: 503, gatewayMessage: "overloaded", retryAfterMs: 2000 });
  });
});
