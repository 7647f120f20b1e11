import { KNOWN_ACTIONS, type PolicyObject } from "../iam/types.js";
import { granted, grantsOf, patternCovers, type Grant } from "./coverage.js";
import type { Observation } from "./evidence.js";

/**
 * Actions the gateway checks once per item while answering a list, hiding the items denied rather
 * than refusing the request: the sandbox answers `GET /system/namespaces` with the namespaces for
 * which `Namespace:List` on `<ns>:*` is allowed (README, sandbox section, "namespace listing").
 * Their denials are not permissions a function lacked.
 */
export const LIST_FILTER_ACTIONS: readonly string[] = ["Namespace:List"];

/** Whether an action is one a Policy can grant (others in the log: `Token:Exchange`, `Auth:Basic`). */
export function isPolicyAction(action: string): boolean {
  return (KNOWN_ACTIONS as readonly string[]).includes(action);
}

/** A permission an identity was seen to need that its Policies do not give. */
export interface Needed {
  action: string;
  resource: string;
  count: number;
  /** `denied`: the gateway refused it; `not granted`: allowed when recorded, not by the Policies given now. */
  why: "denied" | "not granted";
  reasons: string[];
}

/** Granted versus used, for one identity. */
export interface PolicyDiff {
  /** Grants no allowed decision used: "granted, never used". */
  unused: Grant[];
  /** "denied, would need" (and allowed then but not granted now). */
  needed: Needed[];
  /** Items hidden from a list (see {@link LIST_FILTER_ACTIONS}): reported, never needed. */
  hidden: Observation[];
  /** Refused token exchanges (no Role bound it, a bad token, ...): the identity could not act at all. */
  refusedExchanges: Observation[];
}

/**
 * Compares what `policies` grant with what `observations` (of one identity) show was used: a
 * grant is used when an allowed decision had its action on a resource its pattern covers; a denied
 * decision, or an allowed one these Policies would no longer allow, is needed.
 */
export function diffPolicies(policies: readonly PolicyObject[], observations: readonly Observation[]): PolicyDiff {
  const grants = policies.flatMap(grantsOf);
  const governed = observations.filter((o) => isPolicyAction(o.action));
  const allowed = governed.filter((o) => o.allowed);
  const unused = grants.filter((g) => !allowed.some((o) => o.action === g.action && patternCovers(g.resource, o.resource)));
  const needed: Needed[] = [];
  const hidden: Observation[] = [];
  for (const o of governed) {
    if (o.allowed) {
      if (!granted(grants, o.action, o.resource)) needed.push({ action: o.action, resource: o.resource, count: o.count, why: "not granted", reasons: o.reasons });
    } else if (LIST_FILTER_ACTIONS.includes(o.action)) hidden.push(o);
    else needed.push({ action: o.action, resource: o.resource, count: o.count, why: "denied", reasons: o.reasons });
  }
  const refusedExchanges = observations.filter((o) => o.action === "Token:Exchange" && !o.allowed);
  const order = (a: { action: string; resource: string }, b: { action: string; resource: string }) => actionRank(a.action) - actionRank(b.action) || a.resource.localeCompare(b.resource);
  return { unused, needed: needed.sort(order), hidden: hidden.sort(order), refusedExchanges };
}

/** Position of an action in the gateway's list (unknown ones last), for stable, readable output. */
export function actionRank(action: string): number {
  const i = (KNOWN_ACTIONS as readonly string[]).indexOf(action);
  return i < 0 ? KNOWN_ACTIONS.length : i;
}

/** `Function:Get on dev:fn  (denied 2x: <the gateway's reason>)`. */
export function describeNeeded(n: Needed): string {
  const why = n.why === "denied" ? `denied ${n.count}x${n.reasons[0] ? `: ${n.reasons[0]}` : ""}` : `allowed ${n.count}x when recorded, not granted by these Policies`;
  return `${n.action} on ${n.resource}  (${why})`;
}

/** "granted, never used" and "denied, would need" as lines of text (empty sections say "none"). */
export function formatDiff(diff: PolicyDiff): string[] {
  const lines: string[] = [];
  lines.push(`granted, never used: ${diff.unused.length === 0 ? "none" : ""}`);
  for (const g of diff.unused) lines.push(`  ${g.action} on ${g.resource}  (Policy ${g.policy}, statement ${g.sid}${g.via !== g.action ? `, from ${g.via}` : ""})`);
  lines.push(`denied, would need: ${diff.needed.length === 0 ? "none" : ""}`);
  for (const n of diff.needed) lines.push(`  ${describeNeeded(n)}`);
  if (diff.hidden.length > 0) {
    lines.push(`hidden from lists (not refusals): ${diff.hidden.map((o) => `${o.action} on ${o.resource}`).join(", ")}`);
  }
  for (const o of diff.refusedExchanges) lines.push(`token exchange refused ${o.count}x: ${o.reasons.join("; ")}`);
  return lines.map((l) => l.trimEnd());
}
