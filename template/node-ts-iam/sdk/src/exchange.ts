/**
 * RFC 8693 token exchange against the gateway's `/oauth/token` (facts §1), and the token-endpoint
 * plumbing shared with the client-credentials source: form POST, a timeout always, strict response
 * validation, OAuth JSON errors on any 4xx.
 */
import type { Dispatcher } from "undici";
import { checkTimeout, InvalidResponseError, OAuthError, statusError, TokenSourceError, type RequestSite } from "./errors.js";
import { CallScope, header, readBody, send } from "./http.js";
import { jwtExpiresAt } from "./jwt.js";
import { redact, truncate } from "./redact.js";
import { parseRetryAfter } from "./retry.js";

/** `grant_type` of a token exchange. */
export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
/** `subject_token_type` the gateway expects for an id token or service account token. */
export const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";

/** Options of {@link exchangeToken}. */
export interface ExchangeTokenOptions {
  /** The token endpoint, e.g. `http://gateway.openfaas:8080/oauth/token`. */
  tokenURL: string | URL;
  /** The token to exchange (service account JWT, IdP id token, or an OpenFaaS access token). */
  subjectToken: string;
  /** Default `urn:ietf:params:oauth:token-type:id_token`. */
  subjectTokenType?: string;
  /** Scopes, space-joined on the wire (`function` asks for a function-invocation token). */
  scope?: string | readonly string[];
  /** Audiences, one `audience` field each (for a function token: `<namespace>:<function>`). */
  audience?: string | readonly string[];
  /** Timeout of the whole exchange in milliseconds (default 10,000; there is always one). */
  timeoutMs?: number;
  /** Aborts the exchange. */
  signal?: AbortSignal;
  /** Lifetime assumed when the response has no usable `expires_in` nor a JWT `exp` (default 60 s). */
  assumedLifetimeSeconds?: number;
  /** undici dispatcher (default: the SDK's shared keep-alive Agent). */
  dispatcher?: Dispatcher;
}

/** A validated token-endpoint response. */
export interface ExchangedToken {
  /** The issued access token. Keep it out of logs. */
  accessToken: string;
  /** Always `Bearer` (validated case-insensitively). */
  tokenType: "Bearer";
  /** Lifetime in seconds. */
  expiresIn: number;
  /** Where `expiresIn` came from: the response, the token's `exp` claim, or the assumed default. */
  expiresInSource: "response" | "jwt" | "assumed";
  /** `issued_token_type` when the server sent one. */
  issuedTokenType: string | undefined;
}

/** Performs one RFC 8693 exchange. Throws OAuthError, HTTP status errors, NetworkError, TimeoutError or InvalidResponseError. */
export async function exchangeToken(options: ExchangeTokenOptions): Promise<ExchangedToken> {
  // There is always a timeout: a token request must never hang a caller.
  checkTimeout(options.timeoutMs, "timeoutMs", false);
  if (typeof options.subjectToken !== "string" || options.subjectToken.trim() === "") {
    throw new TokenSourceError("subject token is empty");
  }
  const form = new URLSearchParams();
  form.set("grant_type", TOKEN_EXCHANGE_GRANT);
  form.set("subject_token_type", options.subjectTokenType ?? ID_TOKEN_TYPE);
  form.set("subject_token", options.subjectToken);
  const scope = joinScope(options.scope);
  if (scope) form.set("scope", scope);
  for (const audience of asList(options.audience)) form.append("audience", audience);
  const json = await postTokenForm(options.tokenURL, form, {
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    dispatcher: options.dispatcher,
    secrets: [options.subjectToken],
  });
  return parseTokenResponse(json.body, json.site, json.status, "access_token", options.assumedLifetimeSeconds ?? 60);
}

/** @internal Options of {@link postTokenForm}. */
export interface TokenFormOptions {
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  dispatcher?: Dispatcher | undefined;
  /** Values to scrub from anything that ends up in an error. */
  secrets: readonly string[];
}

/** @internal POSTs a form to a token endpoint and returns its JSON object body, or throws a typed error. */
export async function postTokenForm(
  tokenURL: string | URL,
  form: URLSearchParams,
  options: TokenFormOptions,
): Promise<{ body: Record<string, unknown>; status: number; site: RequestSite }> {
  const url = new URL(tokenURL);
  const site: RequestSite = { method: "POST", path: url.pathname };
  const scope = new CallScope(options.signal, options.timeoutMs ?? 10_000);
  try {
    let res;
    try {
      res = await send({
        url,
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: form.toString(),
        signal: scope.signal,
        dispatcher: options.dispatcher,
      });
    } catch (error) {
      throw scope.classify(error, site, options.secrets);
    }
    let raw: Buffer;
    try {
      raw = await readBody(res.body);
    } catch (error) {
      throw scope.classify(error, site, options.secrets);
    }
    const text = raw.toString("utf8");
    const parsed = parseJson(text);
    if (res.status >= 200 && res.status < 300) {
      if (!isObject(parsed)) throw new InvalidResponseError(site, res.status, "token response is not a JSON object");
      return { body: parsed, status: res.status, site };
    }
    const retryAfterMs = parseRetryAfter(header(res.headers, "retry-after"));
    if (res.status >= 400 && res.status < 500 && isObject(parsed) && typeof parsed.error === "string" && parsed.error !== "") {
      const description = typeof parsed.error_description === "string" ? parsed.error_description : "";
      throw new OAuthError(site, res.status, redact(truncate(parsed.error, 128), options.secrets), redact(truncate(description), options.secrets), retryAfterMs);
    }
    throw statusError(site, res.status, redact(truncate(text.trim()), options.secrets), retryAfterMs);
  } finally {
    scope.dispose();
  }
}

/** @internal Validates a token response body (facts §6) and works out its lifetime. */
export function parseTokenResponse(
  body: Record<string, unknown>,
  site: RequestSite,
  status: number,
  field: "access_token" | "id_token",
  assumedLifetimeSeconds: number,
): ExchangedToken {
  const token = body[field];
  if (typeof token !== "string" || token.trim() === "") throw new InvalidResponseError(site, status, `${field} missing or empty`);
  const tokenType = body.token_type;
  if (typeof tokenType !== "string" || tokenType.toLowerCase() !== "bearer") {
    throw new InvalidResponseError(site, status, "token_type is not Bearer");
  }
  const issued = body.issued_token_type;
  if (issued !== undefined && typeof issued !== "string") throw new InvalidResponseError(site, status, "issued_token_type is not a string");
  const fromResponse = parseExpiresIn(body.expires_in);
  if (fromResponse === "invalid") throw new InvalidResponseError(site, status, "expires_in is not a finite number >= 0");
  const jwtExp = jwtExpiresAt(token);
  const fromJwt = jwtExp === undefined ? undefined : Math.max(0, Math.floor((jwtExp - Date.now()) / 1000));
  // 0 carries no information (the Go SDK reads it as "never expires"); a careful client assumes short.
  let expiresIn: number;
  let source: ExchangedToken["expiresInSource"];
  if (fromResponse !== undefined && fromResponse > 0) {
    expiresIn = fromJwt === undefined ? fromResponse : Math.min(fromResponse, fromJwt);
    source = "response";
  } else if (fromJwt !== undefined) {
    expiresIn = fromJwt;
    source = "jwt";
  } else {
    expiresIn = Math.max(0, assumedLifetimeSeconds);
    source = "assumed";
  }
  return { accessToken: token.trim(), tokenType: "Bearer", expiresIn, expiresInSource: source, issuedTokenType: issued };
}

function parseExpiresIn(value: unknown): number | undefined | "invalid" {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : "invalid";
  if (typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return "invalid";
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return (typeof value === "string" ? [value] : [...value]).filter((v) => v !== "");
}

function joinScope(value: string | readonly string[] | undefined): string {
  return asList(value).join(" ");
}
