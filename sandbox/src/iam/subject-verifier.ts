import { jwtVerify } from "jose";
import type { Claims } from "./conditions.js";
import { IssuerKeyCache, IssuerKeysError } from "./issuer-keys.js";
import { describeJoseError } from "./jose-errors.js";
import { ALLOWED_SUBJECT_ALGORITHMS, peekJwt, quoteUntrusted } from "./jwt-shape.js";
import type { JwtIssuerObject } from "./types.js";

/** Clock skew tolerated on `exp`/`nbf`/`iat` of subject tokens from other issuers (seconds). */
export const SUBJECT_LEEWAY_SECONDS = 5;

/** A verified subject token: its claims and the JwtIssuer that vouched for it. */
export interface VerifiedSubject {
  claims: Claims;
  issuer: JwtIssuerObject;
}

/** Why a subject token was refused; `message` is safe to send (it never contains the token). */
export class SubjectTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SubjectTokenError";
  }
}

/** Why a subject token from an issuer no JwtIssuer names is refused (`policy explain` says it too). */
export function unregisteredIssuer(iss: string): string {
  return `issuer ${quoteUntrusted(iss)} is not registered (no JwtIssuer with this iss)`;
}

/** Why a subject token whose `aud` names none of `issuer`'s audiences is refused (`policy explain` says it too). */
export function audienceNotAccepted(issuer: JwtIssuerObject): string {
  return `subject_token audience (aud) is not accepted: not valid for JwtIssuer '${issuer.name}' (accepted: ${issuer.spec.aud.join(", ")})`;
}

/**
 * Verifies subject tokens against the registered JwtIssuers: the issuer must be registered, the
 * signature must verify with one of its published keys under an asymmetric algorithm, `aud` must
 * name one of the issuer's audiences, `exp` must be present, `exp`/`nbf` hold within the leeway, and
 * `iat`, when present, is not later than now plus the leeway.
 */
export class SubjectVerifier {
  private readonly keys = new IssuerKeyCache();

  constructor(private issuers: JwtIssuerObject[]) {}

  /** Replaces the registered issuers. */
  setIssuers(issuers: JwtIssuerObject[]): void {
    this.issuers = [...issuers];
  }

  /** Returns the verified claims or throws a `SubjectTokenError`. */
  async verify(token: string, now: Date = new Date()): Promise<VerifiedSubject> {
    const what = "subject_token";
    const peek = peekJwt(token, what);
    if ("problem" in peek) throw new SubjectTokenError(peek.problem);
    if (peek.iss === undefined) throw new SubjectTokenError(`${what} has no iss claim`);
    const candidates = this.issuers.filter((i) => i.spec.iss === peek.iss);
    if (candidates.length === 0) throw new SubjectTokenError(unregisteredIssuer(peek.iss));
    let lastProblem = "";
    for (const issuer of candidates) {
      let keySet;
      try {
        keySet = await this.keys.keysFor(issuer.spec.issInternal ?? issuer.spec.iss, peek.kid);
      } catch (err) {
        lastProblem = err instanceof IssuerKeysError ? `JWKS keys of JwtIssuer '${issuer.name}' are unavailable: ${err.message}` : `JWKS keys of JwtIssuer '${issuer.name}' are unavailable`;
        continue;
      }
      try {
        const { payload } = await jwtVerify(token, keySet, {
          issuer: issuer.spec.iss,
          audience: issuer.spec.aud,
          algorithms: ALLOWED_SUBJECT_ALGORITHMS,
          clockTolerance: SUBJECT_LEEWAY_SECONDS,
          requiredClaims: ["exp", "sub"],
          currentDate: now,
        });
        // jose checks iat only against a maximum age; a token stamped in the future was not issued
        // by a sane clock (or was minted to outlive its exp checks), so it is refused beyond the leeway.
        if (typeof payload.iat === "number" && payload.iat > now.getTime() / 1000 + SUBJECT_LEEWAY_SECONDS) {
          throw new SubjectTokenError(`${what} was issued in the future (iat is more than ${SUBJECT_LEEWAY_SECONDS} s ahead of the gateway clock)`);
        }
        return { claims: payload as Claims, issuer };
      } catch (err) {
        if (err instanceof SubjectTokenError) throw err;
        const description = describeJoseError(err, what);
        lastProblem = description.includes("audience") ? audienceNotAccepted(issuer) : description;
      }
    }
    throw new SubjectTokenError(lastProblem);
  }
}
