/**
 * How `policy explain` prints an {@link Explanation}: text for people (the decision first, then the
 * Roles, the Policies and the statements that led to it) or JSON for machines.
 */
import type { ConditionCheck } from "../iam/conditions.js";
import type { RoleCheck, StatementCheck } from "../iam/policy-engine.js";
import type { PolicyObject } from "../iam/types.js";
import { shownSource } from "./display.js";
import type { Explanation } from "./explain.js";

/** A claim's value as printed: JSON, or `(absent)`. */
function value(claim: unknown): string {
  return claim === undefined ? "(absent)" : JSON.stringify(claim);
}

function list(values: readonly string[]): string {
  return `[${values.join(", ")}]`;
}

function condition(c: ConditionCheck): string {
  return `${c.operator} ${c.key} ${value(c.claim)} ${c.held ? "holds for" : "is not in"} ${list(c.values)}`;
}

/** The checks of a Role: all of them when it matched, else only those that failed. */
function roleChecks(r: RoleCheck): string[] {
  const lines: string[] = [];
  const p = r.principal;
  if (p && (r.matched || !p.held)) lines.push(`principal: jwt:sub ${value(p.sub)} ${p.held ? "is listed" : `is not in ${list(p.subjects)}`}`);
  for (const c of r.conditions) if (r.matched || !c.held) lines.push(`condition: ${condition(c)}`);
  return lines;
}

function statement(s: StatementCheck, e: Explanation): string {
  const { action, resource } = e.request;
  const parts = [
    s.action === undefined ? `action ${action} is not in ${list(s.statement.action)}` : `action ${action}${s.action === action ? "" : ` (by ${s.action})`}`,
    s.resource === undefined ? `resource ${resource} is not in ${list(s.statement.resource)}` : `resource ${resource}${s.resource === resource ? "" : ` (by ${s.resource})`}`,
    ...s.conditions.map(condition),
  ];
  return `${s.policy}/${s.sid}: ${parts.join("; ")}${s.allowed ? ": allows it" : ""}`;
}

/** The text report: `allow`/`deny` and the audit reason, then how it was reached. */
export function formatExplanation(e: Explanation, who: string, notes: readonly string[], policies: readonly PolicyObject[]): string {
  const { action, resource, functionToken } = e.request;
  const what = functionToken ? `get a function token for ${resource} (Function:Invoke)` : `${action} on ${resource}`;
  const lines = [`${e.allowed ? "allow" : "deny"}: ${who} ${e.allowed ? "may" : "may not"} ${what}`, `  reason (as the audit log writes it): ${e.reason}`];
  for (const note of notes) lines.push(`  note: ${note}`);
  const issuer = e.subject.issuer;
  const from = issuer ? `, JwtIssuer ${issuer.name} ${issuer.source.startsWith("(") ? issuer.source : `(${shownSource(issuer.source)})`}` : "";
  lines.push("", `token: sub ${value(e.subject.sub)}, iss ${value(e.subject.iss)}${from}`);
  if (e.decidedBy === "issuer") return `${[...lines, "  refused before any Role is matched"].join("\n")}\n`;

  lines.push("Roles (matched at the token exchange, against the token's claims):");
  for (const r of e.roles) {
    const grants = r.matched ? `: grants ${(r.role.spec.policy ?? []).join(", ") || "no Policy"}` : "";
    lines.push(`  ${r.matched ? "match" : "no   "}  ${r.role.name} (${shownSource(r.role.source)})${grants}`, ...roleChecks(r).map((c) => `           ${c}`));
  }
  if (e.roles.length === 0) lines.push("  none loaded");
  if (e.decidedBy === "roles") return `${[...lines, "  no Role matches: the exchange is refused, so no access token"].join("\n")}\n`;

  const sources = new Map(policies.map((p) => [p.name, shownSource(p.source)]));
  lines.push(`Policies of the access token: ${e.policies.map((p) => `${p} (${sources.get(p) ?? "not defined: grants nothing"})`).join(", ")}`);
  lines.push("Statements, in order (the first that allows it decides):");
  for (const s of e.statements) lines.push(`  ${statement(s, e)}`);
  if (!e.allowed) lines.push(`  ${e.statements.length === 0 ? "no statement to check" : "none allows it"}`);
  return `${lines.join("\n")}\n`;
}

/** The JSON report: the same facts, with claim values as they are in the token. */
export function explanationJson(e: Explanation, who: string, notes: readonly string[]): string {
  const checks = (cs: readonly ConditionCheck[]) => cs.map((c) => ({ operator: c.operator, key: c.key, values: c.values, claim: c.claim ?? null, held: c.held }));
  return `${JSON.stringify(
    {
      decision: e.allowed ? "allow" : "deny",
      reason: e.reason,
      decidedBy: e.decidedBy,
      who,
      request: e.request,
      subject: { sub: e.subject.sub, iss: e.subject.iss, issuer: e.subject.issuer ? { name: e.subject.issuer.name, source: shownSource(e.subject.issuer.source) } : null },
      exchange: e.exchange,
      roles: e.roles.map((r) => ({
        name: r.role.name,
        source: shownSource(r.role.source),
        matched: r.matched,
        policies: r.role.spec.policy ?? [],
        principal: r.principal ? { sub: r.principal.sub ?? null, subjects: r.principal.subjects, held: r.principal.held } : null,
        conditions: checks(r.conditions),
      })),
      policies: e.policies,
      undefinedPolicies: e.missing,
      statements: e.statements.map((s) => ({ policy: s.policy, sid: s.sid, action: s.action ?? null, resource: s.resource ?? null, conditions: checks(s.conditions), allowed: s.allowed })),
      notes,
    },
    null,
    2,
  )}\n`;
}
