import { decodeJwt, decodeProtectedHeader } from "jose";
import { errorDescription } from "../http/errors.js";

/** Subject tokens larger than this are refused before any parsing (bytes). */
export const MAX_TOKEN_BYTES = 16 * 1024;

/** Asymmetric algorithms accepted for subject tokens; `none` and every HS* are never accepted. */
export const ALLOWED_SUBJECT_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The unverified header and payload of a compact JWS, read only to route it to an issuer. */
export interface PeekedJwt {
  alg: string;
  kid?: string;
  iss?: string;
}

/** Checks the outer shape of a compact JWT and reads its header and `iss`; the message says what is wrong. */
export function peekJwt(token: string, what: string): PeekedJwt | { problem: string } {
  if (token.length === 0) return { problem: `${what} is empty` };
  if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) return { problem: `${what} is larger than ${MAX_TOKEN_BYTES} bytes` };
  if (!COMPACT_JWS.test(token)) return { problem: `${what} is not a signed JWT (expected three base64url parts)` };
  let header: ReturnType<typeof decodeProtectedHeader>;
  let payload: ReturnType<typeof decodeJwt>;
  try {
    header = decodeProtectedHeader(token);
    payload = decodeJwt(token);
  } catch {
    return { problem: `${what} is malformed (header or payload is not base64url JSON)` };
  }
  if (typeof header.alg !== "string") return { problem: `${what} header has no alg` };
  if (!ALLOWED_SUBJECT_ALGORITHMS.includes(header.alg)) {
    return { problem: `${what} algorithm ${quoteUntrusted(header.alg, 20)} is not allowed (allowed: ${ALLOWED_SUBJECT_ALGORITHMS.join(", ")})` };
  }
  const out: PeekedJwt = { alg: header.alg };
  if (typeof header.kid === "string") out.kid = header.kid;
  if (typeof payload.iss === "string") out.iss = payload.iss;
  return out;
}

/**
 * Quotes an untrusted value for an error message or `error_description`: shortened so it cannot
 * carry a token, in single quotes, with every character outside RFC 6749's description set made safe.
 */
export function quoteUntrusted(value: string, max = 120): string {
  return `'${errorDescription(value.length > max ? `${value.slice(0, max)}...` : value)}'`;
}
