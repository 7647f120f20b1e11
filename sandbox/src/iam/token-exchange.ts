import type { IncomingMessage } from "node:http";
import { readBody } from "../http/body.js";
import { OAuthHttpError } from "../http/errors.js";
import type { AccessTokenService } from "./access-tokens.js";
import { AccessTokenError } from "./access-tokens.js";
import type { Claims } from "./conditions.js";
import { peekJwt, quoteUntrusted } from "./jwt-shape.js";
import { parseDuration } from "./manifest-loader.js";
import { decisionReason, exchangeReason, noPoliciesReason, type PolicyEngine } from "./policy-engine.js";
import { SubjectTokenError, type SubjectVerifier } from "./subject-verifier.js";

export const GRANT_TYPE_TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
export const TOKEN_TYPE_ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token";
const TOKEN_TYPE_JWT = "urn:ietf:params:oauth:token-type:jwt";
const ACCEPTED_SUBJECT_TOKEN_TYPES = [TOKEN_TYPE_ID_TOKEN, TOKEN_TYPE_JWT];
/** Lifetime of access tokens when a JwtIssuer has no tokenExpiry (inferred). */
export const DEFAULT_TOKEN_EXPIRY_SECONDS = 3600;
const FORM_LIMIT = 64 * 1024;

/** Lifetime of an access token (seconds) for an issuer's `tokenExpiry` (before the sandbox's time scale). */
export function tokenExpirySeconds(tokenExpiry: string | undefined): number {
  return (tokenExpiry ? parseDuration(tokenExpiry) : undefined) ?? DEFAULT_TOKEN_EXPIRY_SECONDS;
}
/** The audience of a function token request: `<namespace>:<function>`, each an RFC 1123 label (at most 63 characters). */
export const FUNCTION_AUDIENCE = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?:[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
/**
 * The most distinct audiences one exchange may name (a caller asks for a function token per
 * function it calls, usually one). Each audience is a `Function:Invoke` decision with an audit line
 * of its own, so this bound, with repeats counted once, is what keeps one request from flooding the
 * audit log: an exchange writes at most `MAX_AUDIENCES + 1` lines.
 */
export const MAX_AUDIENCES = 8;
const SINGLE_FIELDS = ["grant_type", "subject_token_type", "subject_token", "scope", "requested_token_type", "actor_token", "actor_token_type"];

/** The success body of `/oauth/token` (RFC 8693 §2.2.1). */
export interface TokenResponse {
  access_token: string;
  issued_token_type: string;
  token_type: "Bearer";
  expires_in: number;
}

/** What a decision about an exchange reports to the audit log. */
export interface ExchangeAudit {
  subject: string;
  allowed: boolean;
  reason: string;
  scope: string;
  /** A decision taken during the exchange (`Function:Invoke` on an audience); absent for the exchange itself. */
  action?: string;
  resource?: string;
  /** `iss` of the subject token, when it was verified. */
  issuer?: string;
  /** The policies the issued token carries. */
  policies?: string[];
}

export interface TokenExchangeDeps {
  verifier: SubjectVerifier;
  accessTokens: AccessTokenService;
  engine: PolicyEngine;
  /** Sandbox clock speed-up; access-token lifetimes are divided by it (at least 1 s). */
  timeScale: number;
  audit: (entry: ExchangeAudit) => void;
}

/**
 * `POST /oauth/token`: RFC 8693 token exchange as the OpenFaaS gateway serves it, for the form
 * openfaas/go-sdk v0.3.0 `exchange.go` sends. Every refusal is a 400 OAuth error whose description
 * names the problem and never echoes a token.
 */
export async function handleTokenExchange(req: IncomingMessage, url: URL, deps: TokenExchangeDeps): Promise<TokenResponse> {
  const fields = await readFields(req, url);
  const one = (name: string): string | undefined => fields.get(name)?.[0];
  for (const name of SINGLE_FIELDS) {
    if ((fields.get(name)?.length ?? 0) > 1) throw new OAuthHttpError("invalid_request", `field ${name} must be given once`);
  }
  const grantType = one("grant_type");
  if (grantType === undefined || grantType === "") throw new OAuthHttpError("invalid_request", "missing field grant_type");
  if (grantType !== GRANT_TYPE_TOKEN_EXCHANGE) throw new OAuthHttpError("unsupported_grant_type", `grant_type must be ${GRANT_TYPE_TOKEN_EXCHANGE}`);
  const subjectToken = one("subject_token");
  if (subjectToken === undefined || subjectToken === "") throw new OAuthHttpError("invalid_request", "missing field subject_token");
  const subjectTokenType = one("subject_token_type");
  if (subjectTokenType === undefined || subjectTokenType === "") throw new OAuthHttpError("invalid_request", "missing field subject_token_type");
  if (!ACCEPTED_SUBJECT_TOKEN_TYPES.includes(subjectTokenType)) {
    throw new OAuthHttpError("invalid_request", `subject_token_type must be ${TOKEN_TYPE_ID_TOKEN}`);
  }
  if (fields.has("actor_token")) throw new OAuthHttpError("invalid_request", "actor_token (delegation) is not supported");
  const scopes = (one("scope") ?? "").split(" ").filter(Boolean);
  const audiences = [...new Set(fields.get("audience") ?? [])];
  if (audiences.length > MAX_AUDIENCES) throw new OAuthHttpError("invalid_request", `a request may name at most ${MAX_AUDIENCES} distinct audiences (got ${audiences.length})`);
  const wantsFunctionToken = scopes.includes("function");

  const peek = peekJwt(subjectToken, "subject_token");
  const issuedByGateway = "iss" in peek && peek.iss === deps.accessTokens.issuer;
  let subject: Claims;
  let policies: string[];
  let lifetime = 0;
  if (issuedByGateway) {
    if (!wantsFunctionToken) throw deny(deps, "(gateway token)", "an OpenFaaS access token can only be exchanged for a function token (scope=function)", "invalid_request");
    try {
      subject = await deps.accessTokens.verify(subjectToken, { what: "subject_token" });
    } catch (err) {
      throw deny(deps, "(gateway token)", err instanceof AccessTokenError ? err.message : "subject_token could not be verified", "invalid_request");
    }
    policies = Array.isArray(subject["policy"]) ? subject["policy"].filter((p): p is string => typeof p === "string") : [];
  } else {
    let issuerExpiry: string | undefined;
    try {
      const verified = await deps.verifier.verify(subjectToken);
      subject = verified.claims;
      issuerExpiry = verified.issuer.spec.tokenExpiry;
    } catch (err) {
      throw deny(deps, "(unverified)", err instanceof SubjectTokenError ? err.message : "subject_token could not be verified", "invalid_request");
    }
    policies = deps.engine.policiesFor(subject);
    if (policies.length === 0) throw deny(deps, String(subject["sub"]), noPoliciesReason(String(subject["sub"])), "invalid_request");
    lifetime = Math.max(1, Math.round(tokenExpirySeconds(issuerExpiry) / deps.timeScale));
  }
  const sub = String(subject["sub"]);

  if (!wantsFunctionToken) {
    for (const aud of audiences) {
      if (aud !== deps.accessTokens.issuer) throw deny(deps, sub, `audience ${quoteUntrusted(aud)} is not valid: an access token is for ${deps.accessTokens.issuer}`, "invalid_target");
    }
    const accessToken = await deps.accessTokens.issue(subject, policies, lifetime);
    deps.audit({ subject: `fed:${sub}`, allowed: true, reason: exchangeReason(policies), scope: scopes.join(" "), issuer: String(subject["iss"]), policies });
    return { access_token: accessToken, issued_token_type: TOKEN_TYPE_ID_TOKEN, token_type: "Bearer", expires_in: lifetime };
  }

  if (audiences.length === 0) throw deny(deps, sub, "scope=function needs at least one audience of the form <namespace>:<function>", "invalid_request");
  for (const aud of audiences) {
    if (!FUNCTION_AUDIENCE.test(aud)) throw deny(deps, sub, `audience ${quoteUntrusted(aud)} is not of the form <namespace>:<function>`, "invalid_target");
  }
  // The function token carries the subject's access claims; when the subject came straight from an
  // issuer, build those claims first so both paths grant from the same shape.
  const access: Claims = issuedByGateway ? subject : { ...subject, sub: `fed:${sub}`, "fed:iss": subject["iss"], policy: policies, exp: Math.floor(Date.now() / 1000) + lifetime };
  const who = { subject: String(access["sub"]), issuer: String(access["fed:iss"]), policies, scope: scopes.join(" ") };
  for (const aud of audiences) {
    // Each audience is a Function:Invoke decision of its own, audited like an API call's.
    const decision = deps.engine.authorize(policies, "Function:Invoke", aud, access);
    deps.audit({ ...who, action: "Function:Invoke", resource: aud, allowed: decision.allowed, reason: decisionReason(decision, policies) });
    if (!decision.allowed) throw deny(deps, sub, `subject may not invoke ${aud} (no policy allows Function:Invoke on it)`, "invalid_target");
  }
  const functionToken = await deps.accessTokens.issueFunctionToken(access, { permissions: [...audiences], audience: [...audiences] });
  const expiresIn = Math.max(0, Number(access["exp"]) - Math.floor(Date.now() / 1000));
  deps.audit({ ...who, allowed: true, reason: `function token for ${audiences.join(",")}` });
  return { access_token: functionToken, issued_token_type: TOKEN_TYPE_ID_TOKEN, token_type: "Bearer", expires_in: expiresIn };
}

function deny(deps: TokenExchangeDeps, subject: string, description: string, error: string): OAuthHttpError {
  deps.audit({ subject, allowed: false, reason: description, scope: "" });
  return new OAuthHttpError(error, description);
}

/**
 * Collects the form fields from the urlencoded body and, as a server may (an OpenFaaS blog example put
 * them there), the query string of the POST. A field given in both places counts as repeated.
 */
async function readFields(req: IncomingMessage, url: URL): Promise<Map<string, string[]>> {
  const raw = await readBody(req, FORM_LIMIT, (m) => new OAuthHttpError("invalid_request", m));
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (raw.length > 0 && type !== "application/x-www-form-urlencoded") {
    throw new OAuthHttpError("invalid_request", "Content-Type must be application/x-www-form-urlencoded");
  }
  const fields = new Map<string, string[]>();
  const add = (params: URLSearchParams) => {
    for (const [k, v] of params) fields.set(k, [...(fields.get(k) ?? []), v]);
  };
  add(url.searchParams);
  if (raw.length > 0) add(new URLSearchParams(raw.toString("utf8")));
  return fields;
}
