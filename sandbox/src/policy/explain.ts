/**
 * `npm run policy -- explain`: the gateway's decision for one identity, action and resource, before
 * anything runs, with the reasoning. Every step is the gateway's own code: the JwtIssuers it trusts
 * (the sandbox's `kubernetes` one included), Role matching at the exchange ({@link PolicyEngine.policiesFor}),
 * the access token's claims ({@link accessTokenClaims}) and the statements ({@link PolicyEngine.authorize}),
 * here asked to record what they checked.
 */
import { accessTokenClaims } from "../iam/access-tokens.js";
import type { Claims } from "../iam/conditions.js";
import { kubernetesJwtIssuer, trustedIssuers } from "../iam/kubernetes-jwt-issuer.js";
import { decisionReason, exchangeReason, noPoliciesReason, PolicyEngine, type AuthorizeTrace, type RoleCheck, type StatementCheck } from "../iam/policy-engine.js";
import { audienceNotAccepted, unregisteredIssuer } from "../iam/subject-verifier.js";
import { tokenExpirySeconds } from "../iam/token-exchange.js";
import type { IamManifests, JwtIssuerObject } from "../iam/types.js";

/** The gateway URL `npm start` serves by default: the `kubernetes` JwtIssuer's audience unless told otherwise. */
export const DEFAULT_GATEWAY_URL = "http://127.0.0.1:8080";

/** What explain decides with: the engine over the loaded Policies and Roles, and the issuers the gateway trusts. */
export interface ExplainModel {
  engine: PolicyEngine;
  /** In the order the gateway tries them: the `kubernetes` JwtIssuer first, then the shipped ones. */
  issuers: JwtIssuerObject[];
  manifests: IamManifests;
  /** The gateway's public URL: `iss` and `aud` of its access tokens, `aud` of the `kubernetes` JwtIssuer. */
  gatewayUrl: string;
}

/** The model the sandbox would decide with, served at `gatewayUrl`. */
export function explainModel(manifests: IamManifests, gatewayUrl: string): ExplainModel {
  return {
    engine: new PolicyEngine(manifests.policies, manifests.roles),
    issuers: trustedIssuers(kubernetesJwtIssuer(gatewayUrl), manifests.issuers),
    manifests,
    gatewayUrl,
  };
}

/** What is asked: an action on a resource through the API, or (`functionToken`) a function token for `<ns>:<fn>`, which is `Function:Invoke` on it. */
export interface ExplainRequest {
  action: string;
  resource: string;
  functionToken: boolean;
}

/** The answer and how it was reached. */
export interface Explanation {
  allowed: boolean;
  /** The reason as the audit log records the decision. */
  reason: string;
  /** The step that decided: the issuer check, Role matching at the exchange, or the Policies' statements. */
  decidedBy: "issuer" | "roles" | "statements";
  subject: { sub: string; iss: string; issuer?: JwtIssuerObject };
  request: ExplainRequest;
  /** The token exchange: allowed with the policies its access token carries, or refused (and why). */
  exchange: { allowed: boolean; reason: string };
  /** Every Role, checked against the subject token's claims (empty when the issuer check refused it). */
  roles: RoleCheck[];
  /** The policies of the matching Roles (what the access token carries). */
  policies: string[];
  /** The statements checked, in order, up to the one that allowed it. */
  statements: StatementCheck[];
  /** Policy names the Roles grant that no Policy defines. */
  missing: string[];
}

/**
 * The gateway's decision for a subject token with `claims` asking `request`: the token's issuer must
 * be trusted and accept its audience (the signature is not checked: explain answers for the claims),
 * Roles matched at the exchange give the access token its policies, and the statements of those
 * decide, checked against the access token's claims as an API call or a function-token request is.
 */
export function explain(model: ExplainModel, claims: Claims, request: ExplainRequest, now: Date = new Date()): Explanation {
  const sub = String(claims["sub"]);
  const iss = String(claims["iss"]);
  const base = { subject: { sub, iss }, request, roles: [] as RoleCheck[], policies: [] as string[], statements: [] as StatementCheck[], missing: [] as string[] };
  const refuse = (decidedBy: Explanation["decidedBy"], reason: string, extra: Partial<Explanation> = {}): Explanation => ({
    ...base,
    ...extra,
    allowed: false,
    reason,
    decidedBy,
    exchange: { allowed: false, reason },
  });

  const candidates = model.issuers.filter((i) => i.spec.iss === iss);
  if (candidates.length === 0) return refuse("issuer", unregisteredIssuer(iss));
  const audiences = [claims["aud"]].flat().filter((a): a is string => typeof a === "string");
  const issuer = candidates.find((i) => i.spec.aud.some((a) => audiences.includes(a)));
  if (issuer === undefined) return refuse("issuer", audienceNotAccepted(candidates.at(-1)!));
  const subject = { sub, iss, issuer };

  const roles: RoleCheck[] = [];
  const policies = model.engine.policiesFor(claims, roles);
  if (policies.length === 0) return refuse("roles", noPoliciesReason(sub), { subject, roles });

  // The caller's claims as the gateway verifies them from the access token (signing adds iss and aud).
  const access: Claims = { ...accessTokenClaims(claims, policies, tokenExpirySeconds(issuer.spec.tokenExpiry), now), iss: model.gatewayUrl, aud: model.gatewayUrl };
  const trace: AuthorizeTrace = { statements: [], missing: [] };
  const decision = model.engine.authorize(policies, request.action, request.resource, access, trace);
  return {
    ...base,
    subject,
    roles,
    policies,
    statements: trace.statements,
    missing: trace.missing,
    allowed: decision.allowed,
    reason: decisionReason(decision, policies),
    decidedBy: "statements",
    exchange: { allowed: true, reason: exchangeReason(policies) },
  };
}
