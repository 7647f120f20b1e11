import { conditionHolds, type Claims } from "./conditions.js";
import { globMatches } from "./glob.js";
import type { PolicyObject, RoleObject } from "./types.js";

/** The outcome of one authorisation check. */
export interface Decision {
  allowed: boolean;
  /** `<policy>/<sid>` of the first statement that allowed it. */
  matchedBy?: string;
}

/**
 * Holds the loaded Roles and Policies. Policies are looked up by name on every check, so a change
 * to a Policy applies to tokens already issued; Roles apply at the next exchange (sandbox/README.md,
 * "Where OpenFaaS is closed source").
 */
export class PolicyEngine {
  private policies = new Map<string, PolicyObject>();
  private roles: RoleObject[] = [];

  constructor(policies: PolicyObject[] = [], roles: RoleObject[] = []) {
    this.replace(policies, roles);
  }

  /** Swaps in a new set of Policies and Roles. */
  replace(policies: PolicyObject[], roles: RoleObject[]): void {
    this.policies = new Map(policies.map((p) => [p.name, p]));
    this.roles = [...roles];
  }

  /** Names of the policies of every Role whose principal and condition match `claims` (de-duplicated, in Role order). */
  policiesFor(claims: Claims): string[] {
    const names = new Set<string>();
    for (const role of this.roles) {
      if (!roleMatches(role, claims)) continue;
      for (const p of role.spec.policy ?? []) names.add(p);
    }
    return [...names];
  }

  /** Whether any statement of the named policies allows `action` on `resource` for a token with `claims`. */
  authorize(policyNames: readonly string[], action: string, resource: string, claims: Claims): Decision {
    for (const name of policyNames) {
      const policy = this.policies.get(name);
      if (!policy) continue;
      for (const st of policy.spec.statement) {
        if (st.effect !== "Allow") continue;
        if (!st.action.some((a) => globMatches(a, action))) continue;
        if (!st.resource.some((r) => globMatches(r, resource))) continue;
        if (!conditionHolds(st.condition, claims)) continue;
        return { allowed: true, matchedBy: `${name}/${st.sid}` };
      }
    }
    return { allowed: false };
  }
}

/** Why a decision went as it did, as the audit log records it: the statement that allowed it, or the policies that did not. */
export function decisionReason(decision: Decision, policies: readonly string[]): string {
  return decision.matchedBy ?? `no statement of [${policies.join(", ")}] allows it`;
}

/** A Role matches when its principal (exact `jwt:sub`, any listed value) and its condition both match. */
export function roleMatches(role: RoleObject, claims: Claims): boolean {
  const { principal, condition } = role.spec;
  if (!principal && !condition) return false;
  if (principal) {
    const subs = principal["jwt:sub"];
    if (!subs || typeof claims["sub"] !== "string" || !subs.includes(claims["sub"])) return false;
  }
  return conditionHolds(condition, claims);
}
