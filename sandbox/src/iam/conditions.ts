import { globMatches } from "./glob.js";
import type { Condition } from "./types.js";

/** JWT claims as decoded from a verified token. */
export type Claims = Record<string, unknown>;

/**
 * Looks up the claim named by a condition key (`jwt:<claim>`): an exact top-level claim first
 * (so `jwt:https://idp.example.com#groups` works), else a `/`-separated path into nested objects
 * (`jwt:kubernetes.io/namespace`).
 */
export function claimAt(claims: Claims, key: string): unknown {
  const name = key.startsWith("jwt:") ? key.slice(4) : key;
  if (Object.hasOwn(claims, name)) return claims[name];
  let current: unknown = claims;
  for (const part of name.split("/")) {
    if (current === null || typeof current !== "object" || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function scalar(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/** Whether one operator holds for one claim against the listed values (values are ORed). */
function operatorHolds(operator: string, claim: unknown, values: string[]): boolean {
  switch (operator) {
    case "StringEqual":
    case "StringEquals": {
      const s = scalar(claim);
      return s !== undefined && values.includes(s);
    }
    case "StringEqualIgnoreCase": {
      const s = scalar(claim)?.toLowerCase();
      return s !== undefined && values.some((v) => v.toLowerCase() === s);
    }
    case "StringLike": {
      const s = scalar(claim);
      return s !== undefined && values.some((v) => globMatches(v, s));
    }
    case "ForAnyValue:StringEqual": {
      const items = Array.isArray(claim) ? claim.map(scalar) : [scalar(claim)];
      return items.some((item) => item !== undefined && values.includes(item));
    }
    default:
      // Unknown operators are refused when manifests load; failing closed here is the backstop.
      return false;
  }
}

/** One condition key as evaluated: the operator, the claim it read, the values it wanted, and whether it held. */
export interface ConditionCheck {
  operator: string;
  /** `jwt:<claim>` as the manifest writes it. */
  key: string;
  values: string[];
  /** The claim's value in the token (undefined when absent). */
  claim: unknown;
  held: boolean;
}

/**
 * True when every operator and every key of `condition` holds for `claims` (an empty condition holds).
 * With `checks`, every key is evaluated and recorded there (for `policy explain`); without, the first
 * key that fails ends it, as the gateway needs no more.
 */
export function conditionHolds(condition: Condition | undefined, claims: Claims, checks?: ConditionCheck[]): boolean {
  if (!condition) return true;
  let holds = true;
  for (const [operator, keys] of Object.entries(condition)) {
    for (const [key, values] of Object.entries(keys)) {
      const claim = claimAt(claims, key);
      const held = operatorHolds(operator, claim, values);
      if (checks === undefined) {
        if (!held) return false;
        continue;
      }
      checks.push({ operator, key, values, claim, held });
      holds &&= held;
    }
  }
  return holds;
}
