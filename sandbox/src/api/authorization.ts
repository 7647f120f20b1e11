import type { IncomingMessage } from "node:http";
import { decodeBasic, isAdminCredential } from "../admin-credential.js";
import { AccessTokenError } from "../iam/access-tokens.js";
import type { Claims } from "../iam/conditions.js";
import { decisionReason } from "../iam/policy-engine.js";
import { errorDescription, HttpError } from "../http/errors.js";
import type { GatewayContext } from "./context.js";

/** Who is calling: the admin (basic auth) or the subject of a verified access token. */
export type Caller = { kind: "admin"; subject: string } | { kind: "token"; subject: string; policies: string[]; claims: Claims };

const REALM = 'realm="OpenFaaS API"';
/** The challenge when no usable credentials came (RFC 6750 §3.1: no error code then). */
const CHALLENGE = `Bearer ${REALM}, Basic ${REALM}`;
/** A user name is quoted into the audit log only when it is short and printable. */
const PRINTABLE_USER = /^[\x21-\x7E]{1,64}$/;

function unauthorized(message: string): HttpError {
  return new HttpError(401, message, { message }, { "www-authenticate": CHALLENGE });
}

/** 401 for a bearer token that was presented and refused: `error="invalid_token"` with its description (RFC 6750 §3.1). */
function invalidToken(message: string): HttpError {
  const challenge = `Bearer ${REALM}, error="invalid_token", error_description="${errorDescription(message)}", Basic ${REALM}`;
  return new HttpError(401, message, { message }, { "www-authenticate": challenge });
}

/**
 * Resolves the caller from `Authorization`; 401 JSON when it is missing or invalid (never echoing
 * it). A failed basic-auth attempt is audited with the user name it gave (never the password).
 */
export async function authenticate(req: IncomingMessage, ctx: GatewayContext): Promise<Caller> {
  const header = req.headers.authorization;
  if (!header) throw unauthorized("authorization required: send a bearer access token from /oauth/token, or the admin credential with basic auth");
  const space = header.indexOf(" ");
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const value = space < 0 ? "" : header.slice(space + 1).trim();
  if (scheme === "basic") {
    const { user, password } = decodeBasic(value);
    if (isAdminCredential(ctx.admin, user, password)) return { kind: "admin", subject: ctx.admin.username };
    ctx.audit.record({
      subject: `basic:${PRINTABLE_USER.test(user) ? user : "(unprintable or over 64 characters)"}`,
      action: "Auth:Basic",
      resource: (req.url ?? "").split("?")[0]!.slice(0, 200),
      allowed: false,
      reason: "invalid basic auth credentials",
    });
    throw unauthorized("invalid basic auth credentials");
  }
  if (scheme !== "bearer") throw unauthorized("unsupported authorization scheme; use Bearer or Basic");
  if (value === "") throw unauthorized("empty bearer token");
  try {
    const claims = await ctx.accessTokens.verify(value);
    const policies = Array.isArray(claims["policy"]) ? claims["policy"].filter((p): p is string => typeof p === "string") : [];
    return { kind: "token", subject: String(claims["sub"]), policies, claims };
  } catch (err) {
    throw invalidToken(err instanceof AccessTokenError ? `invalid bearer token: ${err.message}` : "invalid bearer token");
  }
}

/** Decides `action` on `resource` for `caller`, writes an audit line, and returns the outcome. */
export function isAllowed(ctx: GatewayContext, caller: Caller, action: string, resource: string): boolean {
  let allowed: boolean;
  let reason: string;
  if (caller.kind === "admin") {
    allowed = true;
    reason = "admin credential";
  } else {
    const decision = ctx.engine.authorize(caller.policies, action, resource, caller.claims);
    allowed = decision.allowed;
    reason = decisionReason(decision, caller.policies);
  }
  // The token's issuer and policies let `npm run policy` tell identities apart and name what was in force.
  const issuer = caller.kind === "token" ? caller.claims["fed:iss"] : undefined;
  const token = caller.kind === "token" ? { ...(typeof issuer === "string" ? { issuer } : {}), policies: caller.policies } : {};
  ctx.audit.record({ subject: caller.subject, action, resource, allowed, reason, ...token });
  return allowed;
}

/** Like `isAllowed`, but a denial is thrown as 403 JSON naming the action and the resource. */
export function requireAllowed(ctx: GatewayContext, caller: Caller, action: string, resource: string): void {
  if (!isAllowed(ctx, caller, action, resource)) {
    const message = `forbidden: ${caller.subject} may not ${action} on ${resource}`;
    throw new HttpError(403, message, { message, action, resource });
  }
}
