/** Unverified JWT inspection: only to learn a token's shape and `exp`; the gateway verifies. */
import { parseJsonObject } from "./validate.js";

const B64URL = /^[A-Za-z0-9_-]+$/;

/** Decodes the payload of a compact JWS without verifying it; `undefined` if it is not one. */
export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const [header, payload] = parts as [string, string, string];
  if (!B64URL.test(header) || !B64URL.test(payload)) return undefined;
  const head = parseJsonObject(Buffer.from(header, "base64url").toString("utf8"));
  return head && parseJsonObject(Buffer.from(payload, "base64url").toString("utf8"));
}

/** The `exp` claim in milliseconds since the epoch, if present and numeric. */
export function jwtExpiresAt(token: string): number | undefined {
  return payloadExpiresAt(decodeJwtPayload(token));
}

/** The `exp` claim of an already decoded payload, in milliseconds since the epoch. */
export function payloadExpiresAt(payload: Record<string, unknown> | undefined): number | undefined {
  const exp = payload?.exp;
  return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined;
}
