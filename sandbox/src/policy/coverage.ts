import { globMatches } from "../iam/glob.js";
import { KNOWN_ACTIONS, type Condition, type PolicyObject } from "../iam/types.js";

/**
 * Whether `general` matches every text that `specific` matches, both IAM patterns (`*` = any run of
 * characters, as the gateway matches them). `specific` is turned into one word by giving each `*` a
 * character no pattern holds: `general` matches that word only by covering that `*` with one of its
 * own, and then it matches whatever the `*` stands for.
 */
export function patternCovers(general: string, specific: string): boolean {
  return globMatches(general, specific.replaceAll("*", "\u0000"));
}

/** One action on one resource pattern that a statement grants. */
export interface Grant {
  policy: string;
  sid: string;
  /** A concrete action (wildcards in the statement are expanded over the actions the gateway checks). */
  action: string;
  /** The action as the statement wrote it (`Function:*`, `*` or the action itself). */
  via: string;
  /** A resource pattern as written. */
  resource: string;
  /** The statement's condition on the token's claims, when it has one. */
  condition: Condition | undefined;
}

/** The actions the gateway checks that an action pattern of a statement covers. */
export function expandAction(pattern: string): string[] {
  return KNOWN_ACTIONS.filter((a) => globMatches(pattern, a));
}

/** Every (action, resource) a Policy grants, action wildcards expanded, in statement order. */
export function grantsOf(policy: PolicyObject): Grant[] {
  const out: Grant[] = [];
  for (const st of policy.spec.statement) {
    if (st.effect !== "Allow") continue;
    const condition = st.condition !== undefined && Object.keys(st.condition).length > 0 ? st.condition : undefined;
    for (const via of st.action) {
      for (const action of expandAction(via)) {
        for (const resource of st.resource) out.push({ policy: policy.name, sid: st.sid, action, via, resource, condition });
      }
    }
  }
  return out;
}

/**
 * Whether some grant allows `action` on every resource `resource` matches. A grant with a
 * condition counts as allowing it: an audited decision was taken with claims this tool does not
 * have, so a condition cannot be re-evaluated here (see {@link grantsBeyond} for the strict form).
 */
export function granted(grants: readonly Grant[], action: string, resource: string): boolean {
  return grants.some((g) => g.action === action && patternCovers(g.resource, resource));
}

/** Conditions compared as written (operators, keys and values in any order). */
export function sameCondition(a: Condition, b: Condition): boolean {
  const canonical = (c: Condition) => JSON.stringify(Object.keys(c).sort().map((op) => [op, Object.keys(c[op]!).sort().map((k) => [k, [...c[op]![k]!].sort()])]));
  return canonical(a) === canonical(b);
}

/**
 * What `candidate` grants that `reference` does not, compared action by action and resource by
 * resource: a grant is covered by a grant of `reference` with its action, a resource pattern
 * covering its own, and no condition or the very same condition. Empty when it grants nothing more.
 */
export function grantsBeyond(candidate: readonly PolicyObject[], reference: readonly PolicyObject[]): Grant[] {
  const refs = reference.flatMap(grantsOf);
  return candidate
    .flatMap(grantsOf)
    .filter((g) => !refs.some((r) => r.action === g.action && patternCovers(r.resource, g.resource) && (r.condition === undefined || (g.condition !== undefined && sameCondition(r.condition, g.condition)))));
}
