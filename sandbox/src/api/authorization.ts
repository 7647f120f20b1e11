import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { AccessTokenError } from "../iam/access-tokens.js";
import type { Claims } from "../iam/conditions.js";
import { HttpError } from "../http/errors.js";
import type { GatewayContext } from "./context.js";

/** Who is calling: the admin (basic auth) or the subject of a verified access token. */
export type Caller = { kind: "admin"; subject: string } | { kind: "token"; subject: string; policies: string[]; claims: Claims };

const CHALLENGE = { "www-authenticate": 'Bearer realm="OpenFaaS API", Basic realm="OpenFaaS API"' };

function unauthorized(message: string): HttpError {
  return new HttpError(401, message, { message }, CHALLENGE);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Resolves the caller from `Authorization`; 401 JSON when it is missing or invalid (never echoing it). */
export async function authenticate(req: IncomingMessage, ctx: GatewayContext): Promise<Caller> {
  const header = req.headers.authorization;
  if (!header) throw unauthorized("authorization required: send a bearer access token from /oauth/token, or the admin credential with basic auth");
  const space = header.indexOf(" ");
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const value = space < 0 ? "" : header.slice(space + 1).trim();
  if (scheme === "basic") {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? "" : decoded.slice(colon + 1);
    if (safeEqual(user, ctx.admin.username) && safeEqual(password, ctx.admin.password)) return { kind: "admin", subject: ctx.admin.username };
    throw unauthorized("invalid basic auth credentials");
  }
  if (scheme !== "bearer") throw unauthorized("unsupported authorization scheme; use Bearer or Basic");
  if (value === "") throw unauthorized("empty bearer token");
  try {
    const claims = await ctx.accessTokens.verify(value);
    const policies = Array.isArray(claims["policy"]) ? claims["policy"].filter((p): p is string => typeof p === "string") : [];
    return { kind: "token", subject: String(claims["sub"]), policies, claims };
  } catch (err) {
    throw unauthorized(err instanceof AccessTokenError ? `invalid bearer token: ${err.message}` : "invalid bearer token");
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
    reason = decision.matchedBy ?? `no statement of [${caller.policies.join(", ")}] allows it`;
  }
  ctx.audit.record({ subject: caller.subject, action, resource, allowed, reason });
  return allowed;
}

/** Like `isAllowed`, but a denial is thrown as 403 JSON naming the action and the resource. */
export function requireAllowed(ctx: GatewayContext, caller: Caller, action: string, resource: string): void {
  if (!isAllowed(ctx, caller, action, resource)) {
    const message = `forbidden: ${caller.subject} may not ${action} on ${resource}`;
    throw new HttpError(403, message, { message, action, resource });
  }
}
