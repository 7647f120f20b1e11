import { stringify } from "yaml";
import { IAM_NAMESPACE } from "../iam/manifest-loader.js";
import type { PolicyStatement } from "../iam/types.js";
import { KUBERNETES_ISSUER } from "../issuer/service-account-issuer.js";
import { actionRank, isPolicyAction, LIST_FILTER_ACTIONS } from "./diff.js";
import { PolicyToolError } from "./errors.js";
import type { Observation } from "./evidence.js";
import { generalise, type GeneraliseOptions } from "./generalise.js";
import type { Binding, Identity } from "./identity.js";

/** Choices for {@link suggestPolicy}. */
export interface SuggestOptions extends GeneraliseOptions {
  /** Grant what was denied too (except items hidden from lists); default: only what was allowed. */
  includeDenied?: boolean;
  /** Name of the Policy; default the one Policy bound to the identity now, else the function or service account name. */
  policyName?: string;
}

/** A Kubernetes object as written to YAML. */
export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: Record<string, unknown> };

/** A suggested Policy and the Role binding it, with what the reader should know about them. */
export interface Suggestion {
  policy: Manifest & { spec: { statement: PolicyStatement[] } };
  role: Manifest;
  /** Widenings and refusals to widen, and the issuer choice. */
  notes: string[];
  /** Denied decisions not granted (without `includeDenied`), and items hidden from lists. */
  notGranted: Observation[];
  /** How many decisions (of Policy actions) support the statements. */
  decisions: number;
}

/** `system:serviceaccount:ns:sa` → `sa`; any other subject → its last `:`-separated part, as a name. */
function nameFor(identity: Identity): string {
  const base = identity.function?.name ?? identity.subject.split(":").at(-1) ?? "identity";
  const name = base.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
  return name === "" ? "identity" : name.slice(0, 63);
}

/** A statement id from its resources: `dev`, `dev-functions`, `tenant-any`, or `cluster`. */
function sidFor(resources: readonly string[]): string {
  const namespaces = new Set(resources.map((r) => (r === "*" ? "cluster" : r.slice(0, r.indexOf(":")).replaceAll("*", "any"))));
  const base = namespaces.size === 1 ? [...namespaces][0]! : "several-namespaces";
  return resources.every((r) => r === "*" || r.endsWith(":*")) ? base : `${base}-functions`;
}

/** One statement per set of resources: the actions granted on exactly those resources share it. */
function statementsFor(grants: ReadonlyMap<string, readonly string[]>): PolicyStatement[] {
  const byResources = new Map<string, { actions: string[]; resources: readonly string[] }>();
  for (const [action, resources] of grants) {
    const key = resources.join("\n");
    const entry = byResources.get(key) ?? { actions: [], resources };
    entry.actions.push(action);
    byResources.set(key, entry);
  }
  const groups = [...byResources.values()].sort((a, b) => a.resources[0]!.localeCompare(b.resources[0]!) || actionRank(a.actions[0]!) - actionRank(b.actions[0]!));
  const used = new Map<string, number>();
  return groups.map(({ actions, resources }) => {
    const base = sidFor(resources);
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    return { sid: n === 1 ? base : `${base}-${n}`, effect: "Allow", action: actions.sort((a, b) => actionRank(a) - actionRank(b)), resource: [...resources] };
  });
}

/**
 * The least Policy that allows what `observations` (of one identity) show it did, and the Role
 * binding it to the identity's subject for the issuers its tokens came from. Resources are exact
 * unless `options` widen them ({@link generalise}). Refuses when nothing was done that a Policy
 * grants, saying why (a refused exchange, or only exchanges).
 */
export function suggestPolicy(identity: Identity, observations: readonly Observation[], current: Binding, options: SuggestOptions = {}): Suggestion {
  const governed = observations.filter((o) => isPolicyAction(o.action));
  const hidden = governed.filter((o) => !o.allowed && LIST_FILTER_ACTIONS.includes(o.action));
  const denied = governed.filter((o) => !o.allowed && !LIST_FILTER_ACTIONS.includes(o.action));
  const used = governed.filter((o) => o.allowed || (options.includeDenied === true && denied.includes(o)));
  if (used.length === 0) {
    const refused = observations.filter((o) => o.action === "Token:Exchange" && !o.allowed);
    const why =
      refused.length > 0
        ? `its token exchanges were refused (${refused.flatMap((o) => o.reasons).join("; ")}): bind it a broad Policy in the sandbox while its tests run, then suggest`
        : denied.length > 0
          ? `every call it made was denied (${denied.map((o) => `${o.action} on ${o.resource}`).join(", ")}): pass --include-denied to grant them`
          : "it made no call that a Policy grants, so it needs no Policy";
    throw new PolicyToolError("NO_EVIDENCE", `no allowed decision of ${identity.subject} to suggest from: ${why}`);
  }
  const observed = new Map<string, Set<string>>();
  for (const o of used) observed.set(o.action, (observed.get(o.action) ?? new Set()).add(o.resource));
  const ordered = new Map([...observed].sort((a, b) => actionRank(a[0]) - actionRank(b[0])));
  const { grants, notes } = generalise(ordered, options);
  const notesText = notes.map((n) => `${n.action}: ${n.text}`);

  // The Role admits the issuers the tokens came from; an old log without issuers falls back to the
  // Role in force, then to the cluster issuer every function's projected token comes from.
  let issuers = [...new Set(observations.flatMap((o) => o.issuers))].sort();
  if (issuers.length === 0) {
    issuers = current.issuers.length > 0 ? current.issuers : [KUBERNETES_ISSUER];
    notesText.push(`jwt:iss: the log records no issuer; ${current.issuers.length > 0 ? "kept the current Role's" : `assumed the cluster issuer ${KUBERNETES_ISSUER}`}`);
  }
  const onlyPolicy = current.policies.length === 1 && current.missing.length === 0 ? current.policies[0]!.name : undefined;
  const policyName = options.policyName ?? onlyPolicy ?? nameFor(identity);
  const roleName = current.roles.length === 1 ? current.roles[0]!.name : nameFor(identity);
  const meta = (name: string) => ({ name, namespace: IAM_NAMESPACE });
  return {
    policy: { apiVersion: "iam.openfaas.com/v1", kind: "Policy", metadata: meta(policyName), spec: { statement: statementsFor(grants) } },
    role: {
      apiVersion: "iam.openfaas.com/v1",
      kind: "Role",
      metadata: meta(roleName),
      spec: { policy: [policyName], principal: { "jwt:sub": [identity.subject] }, condition: { StringEqual: { "jwt:iss": issuers } } },
    },
    notes: notesText,
    notGranted: (options.includeDenied ? hidden : [...denied, ...hidden]).sort((a, b) => actionRank(a.action) - actionRank(b.action) || a.resource.localeCompare(b.resource)),
    decisions: used.reduce((n, o) => n + o.count, 0),
  };
}

/** `# `-prefixed comment lines. */
export function comment(lines: readonly string[]): string {
  return lines.map((l) => (l === "" ? "#" : `# ${l}`)).join("\n");
}

/** The Policy and the Role as YAML documents, each after its comment lines (`header` goes before the Policy). */
export function suggestionDocuments(s: Suggestion, header: readonly string[]): { policy: string; role: string } {
  const policyNotes = [
    ...header,
    ...(s.notes.length > 0 ? ["Generalisation:", ...s.notes.map((n) => `  ${n}`)] : ["Resources are exact, as observed (see --generalise-namespaces, --generalise-functions)."]),
    ...(s.notGranted.length > 0 ? ["Not granted (denied in the log, or hidden from a list):", ...s.notGranted.map((o) => `  ${o.action} on ${o.resource} (${o.count}x)`)] : []),
  ];
  const subjects = (s.role.spec["principal"] as Record<string, string[]>)["jwt:sub"]!.join(", ");
  const roleNotes = [`Binds ${s.policy.metadata.name} to ${subjects}, only for tokens of the issuer(s) it was seen with.`];
  return { policy: `${comment(policyNotes)}\n${stringify(s.policy)}`, role: `${comment(roleNotes)}\n${stringify(s.role)}` };
}

/** The suggestion as two YAML documents: the Policy, then the Role. */
export function renderSuggestion(s: Suggestion, header: readonly string[]): string {
  const { policy, role } = suggestionDocuments(s, header);
  return `${policy}---\n${role}`;
}
