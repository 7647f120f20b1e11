import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { globMatches } from "../iam/glob.js";
import type { IamManifests, PolicyObject } from "../iam/types.js";
import { granted, grantsOf } from "./coverage.js";
import { describeNeeded, diffPolicies, isPolicyAction, LIST_FILTER_ACTIONS } from "./diff.js";
import { PolicyToolError } from "./errors.js";
import { mergeObservations, type Evidence, type Observation } from "./evidence.js";
import { bindingOf } from "./identity.js";

/** A refusal the e2e tests assert, so the trail holds it on purpose. */
export interface ExpectedDenial {
  /** Action pattern (`*`, `Function:*`, `Namespace:Create`). */
  action: string;
  /** Resource pattern (`staging:*`). */
  resource: string;
  /** Which test asserts it. */
  why: string;
}

/** The check list: every shipped Policy, held to the trail or set aside with a reason. */
export interface CheckList {
  /** E2e test files that leave the trail (read by the test harness, not by `check`). */
  trail: string[];
  policies: { name: string; expectDenied: ExpectedDenial[] }[];
  unchecked: { name: string; why: string }[];
}

/** Reads and validates a check list file, naming the field at fault. */
export async function readCheckList(file: string): Promise<CheckList> {
  let doc: unknown;
  try {
    doc = parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new PolicyToolError("BAD_CHECK_LIST", `${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  const fail = (field: string, problem: string) => new PolicyToolError("BAD_CHECK_LIST", `${file}: ${field}: ${problem}`);
  const isText = (v: unknown): v is string => typeof v === "string" && v.trim() !== "";
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw fail("(root)", "must be a mapping with policies (and trail, unchecked)");
  const d = doc as Record<string, unknown>;
  const list = (field: string): unknown[] => {
    const v = d[field] ?? [];
    if (!Array.isArray(v)) throw fail(field, "must be a list");
    return v;
  };
  const trail = list("trail").map((t, i) => {
    if (!isText(t)) throw fail(`trail[${i}]`, "must be a file pattern");
    return t;
  });
  const policies = list("policies").map((p, i) => {
    const entry = (p ?? {}) as Record<string, unknown>;
    if (!isText(entry["name"])) throw fail(`policies[${i}].name`, "must be a Policy name");
    const denials = entry["expectDenied"] ?? [];
    if (!Array.isArray(denials)) throw fail(`policies[${i}].expectDenied`, "must be a list");
    const expectDenied = denials.map((e: unknown, j) => {
      const x = (e ?? {}) as Record<string, unknown>;
      for (const key of ["action", "resource", "why"]) if (!isText(x[key])) throw fail(`policies[${i}].expectDenied[${j}].${key}`, "must be a non-empty string");
      return { action: x["action"] as string, resource: x["resource"] as string, why: x["why"] as string };
    });
    return { name: entry["name"], expectDenied };
  });
  const unchecked = list("unchecked").map((u, i) => {
    const entry = (u ?? {}) as Record<string, unknown>;
    if (!isText(entry["name"])) throw fail(`unchecked[${i}].name`, "must be a Policy name");
    if (!isText(entry["why"])) throw fail(`unchecked[${i}].why`, "must say why the trail cannot exercise it");
    return { name: entry["name"], why: entry["why"] };
  });
  return { trail, policies, unchecked };
}

/** What `check` found for one Policy. */
export interface PolicyCheck {
  policy: string;
  subjects: string[];
  /** Lines of findings; empty when the Policy matches its trail. */
  problems: string[];
  /** Decisions of its subjects in the trail. */
  decisions: number;
}

/** The outcome of `check`. */
export interface CheckReport {
  checks: PolicyCheck[];
  /** Findings not about one listed Policy (unlisted or missing Policies). */
  problems: string[];
}

/**
 * Holds each listed Policy to the trail (every run merged): for the subjects its Roles name, every
 * action it grants on every resource pattern must have been used by an allowed decision, and every
 * decision they needed must be granted: a refusal is a lack unless `expectDenied` lists it, and an
 * expected refusal must still happen and still be refused by the Policies in force.
 */
export function checkPolicies(manifests: IamManifests, list: CheckList, evidence: Evidence): CheckReport {
  const problems: string[] = [];
  const listed = new Set([...list.policies.map((p) => p.name), ...list.unchecked.map((u) => u.name)]);
  for (const p of manifests.policies) {
    if (!listed.has(p.name)) problems.push(`Policy ${p.name} (${p.source}) is shipped but not in the check list: add it under policies (and its e2e test to trail), or under unchecked with the reason`);
  }
  for (const name of listed) {
    if (!manifests.policies.some((p) => p.name === name)) problems.push(`Policy ${name} is in the check list but no manifest defines it`);
  }
  // A subject's decisions merged over every run, once: several Policies may bind the same subject.
  const merged = new Map<string, Observation[]>();
  const everyRun = (subject: string): Observation[] => {
    let observations = merged.get(subject);
    if (observations === undefined) {
      observations = mergeObservations([...evidence.byRun.values()].map((subjects) => subjects.get(subject) ?? []));
      merged.set(subject, observations);
    }
    return observations;
  };
  const checks: PolicyCheck[] = [];
  for (const entry of list.policies) {
    const policy = manifests.policies.find((p) => p.name === entry.name);
    if (!policy) continue;
    checks.push(checkOne(manifests, policy, entry.expectDenied, everyRun));
  }
  return { checks, problems };
}

function checkOne(manifests: IamManifests, policy: PolicyObject, expectDenied: readonly ExpectedDenial[], observationsOf: (subject: string) => Observation[]): PolicyCheck {
  const problems: string[] = [];
  const roles = manifests.roles.filter((r) => r.spec.policy?.includes(policy.name));
  if (roles.length === 0) problems.push(`no Role binds it, so it grants nobody anything`);
  for (const r of roles.filter((r) => !r.spec.principal?.["jwt:sub"]?.length)) {
    problems.push(`Role ${r.name} binds it through a condition alone, so the trail cannot tell its callers: list it under unchecked with the reason`);
  }
  const subjects = [...new Set(roles.flatMap((r) => r.spec.principal?.["jwt:sub"] ?? []))];
  const observations = subjects.flatMap(observationsOf);
  for (const s of subjects) if (observationsOf(s).length === 0) problems.push(`no decision of ${s} in the trail: does an e2e test in trail exercise it?`);

  // Grants of this Policy that no subject of it used.
  const own = diffPolicies([policy], observations);
  for (const g of own.unused) problems.push(`granted, never used: ${g.action} on ${g.resource} (statement ${g.sid}${g.via !== g.action ? `, from ${g.via}` : ""})`);

  // Needs, judged per subject against everything its Roles give it now.
  for (const s of subjects) {
    const binding = bindingOf(manifests, s);
    const all = diffPolicies(binding.policies, observationsOf(s));
    const grants = binding.policies.flatMap(grantsOf);
    for (const n of all.needed) {
      const expected = expectDenied.find((e) => globMatches(e.action, n.action) && globMatches(e.resource, n.resource));
      if (n.why === "denied" && expected) {
        if (granted(grants, n.action, n.resource)) problems.push(`${s}: ${n.action} on ${n.resource} is expected refused (${expected.why}) but is granted now`);
        continue;
      }
      problems.push(`${s}: ${n.why === "denied" ? "denied, would need" : "lacks"}: ${describeNeeded(n)}`);
    }
  }
  const refused = observations.filter((o) => !o.allowed && isPolicyAction(o.action) && !LIST_FILTER_ACTIONS.includes(o.action));
  for (const e of expectDenied) {
    if (!refused.some((o) => globMatches(e.action, o.action) && globMatches(e.resource, o.resource))) {
      problems.push(`expected refusal ${e.action} on ${e.resource} (${e.why}) is not in the trail: is the test that asserts it gone?`);
    }
  }
  return { policy: policy.name, subjects, problems, decisions: observations.reduce((n, o) => n + o.count, 0) };
}
