import { conditionHolds, type Claims, type ConditionCheck } from "./conditions.js";
import { globMatches } from "./glob.js";
import type { PolicyObject, PolicyStatement, RoleObject } from "./types.js";

/** The outcome of one authorisation check. */
export interface Decision {
  allowed: boolean;
  /** `<policy>/<sid>` of the first statement that allowed it. */
  matchedBy?: string;
}

/** How one Role fared against a subject token's claims (recorded only for `policy explain`). */
export interface RoleCheck {
  role: RoleObject;
  /** The token's `sub` against the principal's `jwt:sub` list; absent when the Role has no principal. */
  principal?: { sub: unknown; subjects: string[]; held: boolean };
  conditions: ConditionCheck[];
  matched: boolean;
}

/** How one statement fared against a request (recorded only for `policy explain`). */
export interface StatementCheck {
  policy: string;
  sid: string;
  statement: PolicyStatement;
  /** The statement's first action pattern that matches the action; absent when none does. */
  action?: string;
  /** Its first resource pattern that matches the resource; absent when none does. */
  resource?: string;
  conditions: ConditionCheck[];
  allowed: boolean;
}

/** What {@link PolicyEngine.authorize} looked at, in order, when asked to record it. */
export interface AuthorizeTrace {
  /** Every statement checked, up to and including the one that allowed it. */
  statements: StatementCheck[];
  /** Policy names the token carries that no loaded Policy has (they grant nothing). */
  missing: string[];
}

/**
 * Holds the loaded Roles and Policies. Policies are looked up by name on every check, so a change
 * to a Policy applies to tokens already issued; Roles apply at the next exchange (sandbox/README.md,
 * "Where OpenFaaS is closed source").
 *
 * The gateway and `npm run policy -- explain` take every decision here. Passing a trace makes a
 * method record what it checked; without one (the gateway's path) nothing is built.
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

  /**
   * Names of the policies of every Role whose principal and condition match `claims` (de-duplicated,
   * in Role order). With `trace`, every Role's check is appended to it.
   */
  policiesFor(claims: Claims, trace?: RoleCheck[]): string[] {
    const names = new Set<string>();
    for (const role of this.roles) {
      const check: RoleCheck | undefined = trace && { role, conditions: [], matched: false };
      if (check) trace!.push(check);
      if (!roleMatches(role, claims, check)) continue;
      for (const p of role.spec.policy ?? []) names.add(p);
    }
    return [...names];
  }

  /**
   * Whether any statement of the named policies allows `action` on `resource` for a token with
   * `claims`: the first that does decides. With `trace`, what was checked is appended to it.
   */
  authorize(policyNames: readonly string[], action: string, resource: string, claims: Claims, trace?: AuthorizeTrace): Decision {
    for (const name of policyNames) {
      const policy = this.policies.get(name);
      if (!policy) {
        trace?.missing.push(name);
        continue;
      }
      for (const st of policy.spec.statement) {
        const check: StatementCheck | undefined = trace && { policy: name, sid: st.sid, statement: st, conditions: [], allowed: false };
        if (check) trace!.statements.push(check);
        if (statementAllows(st, action, resource, claims, check)) return { allowed: true, matchedBy: `${name}/${st.sid}` };
      }
    }
    return { allowed: false };
  }
}

/**
 * Whether one statement allows `action` on `resource`: effect Allow, an action pattern and a resource
 * pattern matching, and its condition holding. With `check`, every part is evaluated and recorded.
 */
function statementAllows(st: PolicyStatement, action: string, resource: string, claims: Claims, check?: StatementCheck): boolean {
  if (check === undefined) {
    return st.effect === "Allow" && st.action.some((a) => globMatches(a, action)) && st.resource.some((r) => globMatches(r, resource)) && conditionHolds(st.condition, claims);
  }
  const a = st.action.find((p) => globMatches(p, action));
  const r = st.resource.find((p) => globMatches(p, resource));
  if (a !== undefined) check.action = a;
  if (r !== undefined) check.resource = r;
  const held = conditionHolds(st.condition, claims, check.conditions);
  check.allowed = st.effect === "Allow" && a !== undefined && r !== undefined && held;
  return check.allowed;
}

/** Why a decision went as it did, as the audit log records it: the statement that allowed it, or the policies that did not. */
export function decisionReason(decision: Decision, policies: readonly string[]): string {
  return decision.matchedBy ?? `no statement of [${policies.join(", ")}] allows it`;
}

/** The audit reason of an exchange that issued an access token carrying `policies`. */
export function exchangeReason(policies: readonly string[]): string {
  return `policies ${policies.join(",")}`;
}

/** The audit reason (and error description) of an exchange refused because no Role matched `sub`. */
export function noPoliciesReason(sub: string): string {
  return `No policies found for subject: ${sub}`;
}

/**
 * A Role matches when its principal (exact `jwt:sub`, any listed value) and its condition both match.
 * With `check`, the principal and every condition key are evaluated and recorded.
 */
export function roleMatches(role: RoleObject, claims: Claims, check?: RoleCheck): boolean {
  const { principal, condition } = role.spec;
  if (!principal && !condition) return false;
  const sub = claims["sub"];
  if (check === undefined) {
    if (principal) {
      const subs = principal["jwt:sub"];
      if (!subs || typeof sub !== "string" || !subs.includes(sub)) return false;
    }
    return conditionHolds(condition, claims);
  }
  let matched = true;
  if (principal) {
    const subjects = principal["jwt:sub"] ?? [];
    const held = typeof sub === "string" && subjects.includes(sub);
    check.principal = { sub, subjects, held };
    matched = held;
  }
  matched = conditionHolds(condition, claims, check.conditions) && matched;
  check.matched = matched;
  return matched;
}
