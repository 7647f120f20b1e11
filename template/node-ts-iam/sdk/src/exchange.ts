/**
 * RFC 8693 token exchange against the gateway's `/oauth/token`, and the token-endpoint plumbing
 * shared with the client-credentials source: form POST, a timeout always, bounded reads, strict
 * response validation, OAuth JSON errors on any 4xx, a ceiling on every lifetime.
 *
 * The gateway's side is documented at https://docs.openfaas.com/openfaas-pro/iam/overview/ (the
 * exchange of a workload's token for an OpenFaaS access token) and
 * https://docs.openfaas.com/openfaas-pro/iam/function-authentication/ (function tokens:
 * `scope=function`, `audience=<namespace>:<function>`); the request and response are RFC 8693
 * §2.1 and §2.2, the error body RFC 6749 §5.2.
 */
import { CallScope } from "./call-scope.js";
import { checkTimeout, InvalidResponseError, responseTooLarge, TokenSourceError, type RequestSite } from "./errors.js";
import { exchange, type ReadAnswer } from "./http.js";
import { jwtExpiresAt } from "./jwt.js";
import { answerError, ERROR_BODY_BYTES } from "./response-errors.js";
import { parseJsonObject } from "./validate.js";

/**
 * Largest token-endpoint answer read (64 KiB): a token response is a few KiB even with many
 * claims; a longer one fails with `ERR_RESPONSE_TOO_LARGE` and its connection is dropped.
 */
const TOKEN_RESPONSE_BYTES = 64 * 1024;
/** How a token endpoint's answer is read: a token response whole (up to its limit), an error's first 4 KiB. */
const TOKEN_READ = { limitBytes: TOKEN_RESPONSE_BYTES, errorBytes: ERROR_BODY_BYTES };
/**
 * Default ceiling of a token's lifetime (24 h), whatever `expires_in` says: past it a token is
 * exchanged again, so policy changes and revocations are seen at least daily.
 */
const DEFAULT_MAX_LIFETIME_MS = 86_400_000;
/** Default lifetime assumed when a response gives neither `expires_in` nor a JWT `exp` (60 s). */
const DEFAULT_ASSUMED_LIFETIME_MS = 60_000;
/** Form fields that carry secrets (RFC 8693 subject and actor tokens, RFC 6749 client secret and password). */
const SECRET_FIELDS = ["subject_token", "actor_token", "client_secret", "password"] as const;

/** `grant_type` of a token exchange. */
const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
/** `subject_token_type` the gateway expects for an id token or service account token. */
const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";

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
  /** Lifetime assumed when the response has no usable `expires_in` nor a JWT `exp`, in milliseconds (default 60,000). */
  assumedLifetimeMs?: number;
  /**
   * Ceiling of the lifetime, in milliseconds (default 86,400,000 = 24 h): `expiresInMs` is at most
   * this, and at most what the access token's own `exp` allows when it is a JWT.
   */
  maxLifetimeMs?: number;
}

/** A validated token-endpoint response. */
export interface ExchangedToken {
  /** The issued access token. Keep it out of logs. */
  accessToken: string;
  /** Always `Bearer` (validated case-insensitively). */
  tokenType: "Bearer";
  /**
   * Lifetime in milliseconds (the response's `expires_in` is in seconds), capped at the token's
   * `exp` and at `maxLifetimeMs`.
   */
  expiresInMs: number;
  /** Where `expiresInMs` came from: the response, the token's `exp` claim, or the assumed default. */
  expiresInSource: "response" | "jwt" | "assumed";
  /** `issued_token_type` when the server sent one. */
  issuedTokenType: string | undefined;
}

/** Performs one RFC 8693 exchange. Throws OAuthError, HTTP status errors, NetworkError, TimeoutError or InvalidResponseError. */
export async function exchangeToken(options: ExchangeTokenOptions): Promise<ExchangedToken> {
  // There is always a timeout: a token request must never hang a caller.
  checkTimeout(options.timeoutMs, "timeoutMs", false);
  checkTimeout(options.maxLifetimeMs, "maxLifetimeMs", false);
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
  const json = await postTokenForm(options.tokenURL, form, { timeoutMs: options.timeoutMs, signal: options.signal });
  return parseTokenResponse(json.body, json, "access_token", options);
}

/** @internal Options of {@link postTokenForm}. */
export interface TokenFormOptions {
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * @internal POSTs a form to a token endpoint and returns its JSON object body, or throws a typed
 * error. The form's secret fields are the secrets of this request's scope: no error it causes
 * holds any run of them.
 */
export async function postTokenForm(
  tokenURL: string | URL,
  form: URLSearchParams,
  options: TokenFormOptions,
): Promise<{ body: Record<string, unknown>; status: number; site: RequestSite }> {
  const url = new URL(tokenURL);
  const site: RequestSite = { method: "POST", path: url.pathname };
  const scope = new CallScope(options.signal, options.timeoutMs ?? 10_000);
  const secrets = scope.secrets;
  for (const field of SECRET_FIELDS) for (const value of form.getAll(field)) secrets.add(value);
  try {
    let answer: ReadAnswer;
    try {
      answer = (await exchange(
        {
          origin: url.origin,
          path: url.pathname + url.search,
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
          body: form.toString(),
        },
        TOKEN_READ,
        scope,
      )) as ReadAnswer;
    } catch (error) {
      throw scope.classify(error, site);
    }
    const status = answer.status;
    if (status < 200 || status >= 300) throw answerError(site, { status, headers: answer.headers, body: answer.bytes }, scope.secrets, true);
    if (!answer.complete) throw responseTooLarge(site, status, "token response", TOKEN_RESPONSE_BYTES);
    const body = parseJsonObject(answer.bytes.toString("utf8"));
    if (!body) throw new InvalidResponseError(site, status, "token response is not a JSON object");
    return { body, status, site };
  } finally {
    scope.dispose();
  }
}

/**
 * @internal Validates a token response body (RFC 6749 §5.1: `access_token`, `token_type`, an
 * optional `expires_in` in seconds; RFC 8693 §2.2.1: `issued_token_type`) and works out its
 * lifetime, with the caller's (or the default) assumed lifetime and ceiling.
 */
export function parseTokenResponse(
  body: Record<string, unknown>,
  where: { site: RequestSite; status: number },
  field: "access_token" | "id_token",
  lifetime: Pick<ExchangeTokenOptions, "assumedLifetimeMs" | "maxLifetimeMs">,
): ExchangedToken {
  const { site, status } = where;
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
  const fromJwt = jwtExp === undefined ? undefined : Math.max(0, Math.floor(jwtExp - Date.now()));
  // 0 carries no information (the Go SDK reads it as "never expires"); a careful client assumes short.
  let expiresInMs: number;
  let source: ExchangedToken["expiresInSource"];
  if (fromResponse !== undefined && fromResponse > 0) {
    expiresInMs = fromJwt === undefined ? fromResponse * 1000 : Math.min(fromResponse * 1000, fromJwt);
    source = "response";
  } else if (fromJwt !== undefined) {
    expiresInMs = fromJwt;
    source = "jwt";
  } else {
    expiresInMs = Math.max(0, lifetime.assumedLifetimeMs ?? DEFAULT_ASSUMED_LIFETIME_MS);
    source = "assumed";
  }
  // A server may say anything (1e10 s is 317 years): no token is kept longer than the ceiling.
  expiresInMs = Math.min(expiresInMs, lifetime.maxLifetimeMs ?? DEFAULT_MAX_LIFETIME_MS);
  return { accessToken: token.trim(), tokenType: "Bearer", expiresInMs, expiresInSource: source, issuedTokenType: issued };
}

function parseExpiresIn(value: unknown): number | undefined | "invalid" {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : "invalid";
  if (typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return "invalid";
}

function asList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return (typeof value === "string" ? [value] : [...value]).filter((v) => v !== "");
}

function joinScope(value: string | readonly string[] | undefined): string {
  return asList(value).join(" ");
}
