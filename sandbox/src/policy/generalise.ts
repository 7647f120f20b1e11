import { globMatches } from "../iam/glob.js";
import { patternCovers } from "./coverage.js";
import { PolicyToolError } from "./errors.js";

/**
 * How observed resources may be widened. With neither option, every resource is listed exactly as
 * the gateway checked it (`<ns>:<fn>` for one function, `<ns>:*` for a namespace-level action).
 */
export interface GeneraliseOptions {
  /** Namespace patterns such as `tenant-*`: an action seen in at least {@link MIN_OBSERVED} namespaces matching one becomes `<pattern>:*`. */
  namespaces?: readonly string[];
  /** Per action and namespace: at least {@link MIN_OBSERVED} distinct functions become `<ns>:*`. */
  functions?: boolean;
}

/** The fewest distinct namespaces (or functions) that support widening to a pattern: one observation is never a pattern. */
export const MIN_OBSERVED = 2;

/** Why a resource was widened or, when a flag asked for it, kept exact. */
export interface GeneraliseNote {
  action: string;
  text: string;
}

/** A namespace pattern for `--generalise-namespaces`: namespace characters and `*`, at least one `*` and one other character. */
const NAMESPACE_PATTERN = /^[a-z0-9*]([-a-z0-9*]*[a-z0-9*])?$/;

/** Refuses a pattern that is not a namespace glob, or that would widen to every namespace. */
export function checkNamespacePattern(pattern: string): void {
  if (!NAMESPACE_PATTERN.test(pattern) || !pattern.includes("*")) {
    throw new PolicyToolError("USAGE", `--generalise-namespaces takes a namespace pattern with a *, such as tenant-* (got ${JSON.stringify(pattern)})`);
  }
  if (/^\**$/.test(pattern)) throw new PolicyToolError("USAGE", `--generalise-namespaces ${pattern} would grant every namespace; name a prefix such as tenant-*`);
}

/** `dev:fn` → `dev`; `*` (the cluster) → undefined. */
function namespaceOf(resource: string): string | undefined {
  const colon = resource.indexOf(":");
  return colon < 0 ? undefined : resource.slice(0, colon);
}

/**
 * Applies the generalisation rule to the resources observed per action and returns the resources
 * to grant per action (sorted), with a note for every widening and every refusal to widen:
 * 1. by default each resource is kept exactly as observed;
 * 2. for each `namespaces` pattern, an action whose observed resources lie in at least
 *    {@link MIN_OBSERVED} distinct namespaces matching it gets `<pattern>:*` in their place;
 * 3. with `functions`, an action that named at least {@link MIN_OBSERVED} distinct functions of one
 *    namespace (not already widened) gets `<ns>:*` in their place.
 */
export function generalise(observed: ReadonlyMap<string, ReadonlySet<string>>, options: GeneraliseOptions = {}): { grants: Map<string, string[]>; notes: GeneraliseNote[] } {
  const patterns = options.namespaces ?? [];
  patterns.forEach(checkNamespacePattern);
  const grants = new Map<string, string[]>();
  const notes: GeneraliseNote[] = [];
  for (const [action, resources] of observed) {
    let kept = new Set(resources);
    for (const pattern of patterns) {
      const matching = [...kept].filter((r) => {
        const ns = namespaceOf(r);
        return ns !== undefined && globMatches(pattern, ns);
      });
      const namespaces = new Set(matching.map((r) => namespaceOf(r)!));
      if (namespaces.size === 0) continue;
      if (namespaces.size < MIN_OBSERVED) {
        notes.push({ action, text: `kept ${[...namespaces].join(", ")} exact: ${pattern} needs ${MIN_OBSERVED} or more namespaces observed, saw ${namespaces.size}` });
        continue;
      }
      kept = new Set([...[...kept].filter((r) => !matching.includes(r)), `${pattern}:*`]);
      notes.push({ action, text: `${pattern}:* in place of ${[...namespaces].sort().join(", ")} (${namespaces.size} namespaces observed)` });
    }
    if (options.functions) {
      const byNamespace = new Map<string, string[]>();
      for (const r of kept) {
        const ns = namespaceOf(r);
        if (ns === undefined || ns.includes("*") || r.endsWith(":*")) continue;
        byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), r]);
      }
      for (const [ns, named] of byNamespace) {
        if (named.length < MIN_OBSERVED) {
          notes.push({ action, text: `kept ${named[0]} exact: ${MIN_OBSERVED} or more functions of ${ns} are needed to widen to ${ns}:*` });
          continue;
        }
        kept = new Set([...[...kept].filter((r) => !named.includes(r)), `${ns}:*`]);
        notes.push({ action, text: `${ns}:* in place of ${named.length} functions (${named.map((r) => r.slice(ns.length + 1)).sort().join(", ")})` });
      }
    }
    // Two patterns may overlap (tenant-* and tenant-a*): a resource another one covers is dropped.
    const all = [...kept];
    grants.set(action, all.filter((r, i) => !all.some((o, j) => j !== i && patternCovers(o, r) && (!patternCovers(r, o) || j < i))).sort());
  }
  return { grants, notes };
}
