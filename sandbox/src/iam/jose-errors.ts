import { errors } from "jose";

/**
 * Turns a jose verification error into a precise description for an OAuth error or a 401 body.
 * Written from the error class and claim name only: jose messages are not echoed, so no part of
 * a token can reach the client or a log.
 */
export function describeJoseError(err: unknown, what: string): string {
  if (err instanceof errors.JWTExpired) return `${what} has expired (exp is in the past)`;
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case "nbf":
        return `${what} is not valid yet (nbf is in the future)`;
      case "iat":
        return `${what} has an invalid iat claim`;
      case "aud":
        return `${what} audience (aud) is not accepted`;
      case "iss":
        return `${what} issuer (iss) is not accepted`;
      case "exp":
        return `${what} has no valid exp claim`;
      default:
        return `${what} claim '${err.claim}' is invalid (${err.reason})`;
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return `${what} uses a signing algorithm that is not allowed`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return `${what} signature verification failed`;
  if (err instanceof errors.JWKSNoMatchingKey) return `${what} is signed with a key (kid) the issuer does not publish`;
  if (err instanceof errors.JWKSMultipleMatchingKeys) return `${what} matches several keys of the issuer; a kid is required`;
  if (err instanceof errors.JOSENotSupported) return `${what} uses an unsupported algorithm or key type`;
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return `${what} is malformed`;
  return `${what} could not be verified`;
}
