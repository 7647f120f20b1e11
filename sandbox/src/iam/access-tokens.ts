import { randomUUID } from "node:crypto";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from "jose";
import type { Claims } from "./conditions.js";
import { describeJoseError } from "./jose-errors.js";
import { peekJwt } from "./jwt-shape.js";

/** Verified tokens remembered (the oldest is dropped beyond this). */
const MAX_VERIFIED_TOKENS = 10_000;

/** Claims of the subject token that the gateway sets itself instead of copying. */
const REPLACED_CLAIMS = new Set(["iss", "aud", "sub", "exp", "iat", "jti", "policy", "function", "fed:iss"]);

/** A function-invocation grant (the `function` claim of https://docs.openfaas.com/openfaas-pro/iam/function-authentication/). */
export interface FunctionGrant {
  permissions: string[];
  audience: string[];
}

/** An access token that failed verification; `message` is safe to send. */
export class AccessTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AccessTokenError";
  }
}

/**
 * The claims of an access token for a verified subject, but for `iss`, `aud` (the gateway URL) and
 * `jti`, which signing adds: `sub` = `fed:<sub>`, `fed:iss`, `policy`, `nbf` copied (capped at `iat`),
 * every other claim of the subject copied. `policy explain` models the API's caller with these too.
 */
export function accessTokenClaims(subject: Claims, policies: string[], lifetimeSeconds: number, now: Date): Claims {
  const claims: Claims = {};
  for (const [k, v] of Object.entries(subject)) if (!REPLACED_CLAIMS.has(k)) claims[k] = v;
  const iat = Math.floor(now.getTime() / 1000);
  return {
    ...claims,
    sub: `fed:${String(subject["sub"])}`,
    "fed:iss": String(subject["iss"]),
    policy: policies,
    nbf: typeof subject["nbf"] === "number" ? Math.min(subject["nbf"], iat) : iat,
    iat,
    exp: iat + lifetimeSeconds,
  };
}

/**
 * Issues and verifies the gateway's own ES256 access tokens: `iss`/`aud` = the public gateway URL,
 * `sub` = `fed:<original sub>`, `fed:iss`, `policy`, every other original claim copied (the claims
 * sandbox/README.md lists under "Where OpenFaaS is closed source").
 */
export class AccessTokenService {
  private privateKey!: CryptoKey;
  private publicKey!: CryptoKey;
  private publicJwk!: JWK;
  private gatewayUrl = "";
  /**
   * Claims of tokens whose signature already verified, until their `exp`: a caller sends the same
   * token on every API request, and the signature check is the costliest step of authorising it.
   * Only verification is cached; policies are still looked up on every request.
   */
  private readonly verified = new Map<string, Readonly<Claims>>();

  private constructor() {}

  /** Generates the P-256 signing key. */
  static async create(): Promise<AccessTokenService> {
    const service = new AccessTokenService();
    const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
    service.privateKey = privateKey;
    service.publicKey = publicKey;
    const jwk = await exportJWK(publicKey);
    service.publicJwk = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: "ES256", use: "sig" };
    return service;
  }

  /** Sets the public gateway URL once the server listens (the `iss` and `aud` of every token). */
  setGatewayUrl(url: string): void {
    this.gatewayUrl = url;
  }

  get issuer(): string {
    return this.gatewayUrl;
  }

  /** The JWKS the gateway publishes. */
  get jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  /** Issues an access token for a verified subject; `lifetimeSeconds` becomes `exp - iat`. */
  async issue(subject: Claims, policies: string[], lifetimeSeconds: number, now: Date = new Date()): Promise<string> {
    return this.sign(accessTokenClaims(subject, policies, lifetimeSeconds, now));
  }

  /** Issues a function token from an access token's verified claims; it never outlives that token. */
  async issueFunctionToken(access: Claims, grant: FunctionGrant, now: Date = new Date()): Promise<string> {
    const iat = Math.floor(now.getTime() / 1000);
    return this.sign({ ...access, iat, nbf: iat, function: grant });
  }

  /**
   * Verifies one of the gateway's own tokens (ES256, iss/aud = the gateway, not expired; no leeway:
   * the same clock issued it). Function tokens are refused unless `allowFunctionToken`.
   */
  async verify(token: string, options: { allowFunctionToken?: boolean; what?: string; now?: Date } = {}): Promise<Claims> {
    const what = options.what ?? "access token";
    // An explicit clock (tests) always verifies from scratch.
    let claims = options.now === undefined ? this.verified.get(token) : undefined;
    if (claims !== undefined && Number(claims["exp"]) * 1000 <= Date.now()) {
      this.verified.delete(token);
      claims = undefined;
    }
    if (claims === undefined) {
      claims = Object.freeze(await this.verifySignedToken(token, what, options.now ?? new Date()));
      if (options.now === undefined) this.remember(token, claims);
    }
    if (claims["function"] !== undefined && !options.allowFunctionToken) {
      throw new AccessTokenError(`${what} is a function token; it can only invoke functions, not call the API`);
    }
    return claims;
  }

  private remember(token: string, claims: Readonly<Claims>): void {
    if (this.verified.size >= MAX_VERIFIED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, claims);
  }

  private async verifySignedToken(token: string, what: string, now: Date): Promise<Claims> {
    const peek = peekJwt(token, what);
    if ("problem" in peek) throw new AccessTokenError(peek.problem);
    if (peek.iss !== this.gatewayUrl) throw new AccessTokenError(`${what} was not issued by this gateway`);
    let claims: Claims;
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        issuer: this.gatewayUrl,
        audience: this.gatewayUrl,
        algorithms: ["ES256"],
        requiredClaims: ["exp", "sub"],
        currentDate: now,
      });
      claims = payload as Claims;
    } catch (err) {
      throw new AccessTokenError(describeJoseError(err, what));
    }
    if (peek.kid !== this.publicJwk.kid) throw new AccessTokenError(`${what} is signed with an unknown key (kid)`);
    return claims;
  }

  private async sign(claims: Claims): Promise<string> {
    return new SignJWT({ ...claims, jti: randomUUID() })
      .setProtectedHeader({ alg: "ES256", kid: this.publicJwk.kid!, typ: "JWT" })
      .setIssuer(this.gatewayUrl)
      .setAudience(this.gatewayUrl)
      .sign(this.privateKey);
  }
}
