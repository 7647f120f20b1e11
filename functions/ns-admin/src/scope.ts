/**
 * The namespaces this ns-admin may act on, from `ALLOWED_NAMESPACES`: a comma- or space-separated
 * list of exact names (`dev`) and prefix patterns (`team-a-*`). `*` alone turns the guard off (the
 * gateway's IAM policy is then the only check; used by the end-to-end test to prove that layer).
 * Unset or empty allows nothing: the guard fails closed.
 */
export interface NamespaceScope {
  /** Whether `namespace` is inside the scope. */
  allows(namespace: string): boolean;
  /** The configured entries, for error messages and `GET /namespaces`. */
  readonly entries: readonly string[];
  /** True when the guard is off (`*`). */
  readonly unrestricted: boolean;
}

const PATTERN_ENTRY = /^(?:\*|[a-z0-9][-a-z0-9]{0,61}\*?)$/;

/** Thrown for an `ALLOWED_NAMESPACES` value that is not a list of names and `prefix-*` patterns. */
export class ScopeConfigError extends Error {
  constructor(entry: string) {
    super(`ALLOWED_NAMESPACES: "${entry}" is neither a namespace name nor a "prefix-*" pattern`);
    this.name = "ScopeConfigError";
  }
}

/** Parses an `ALLOWED_NAMESPACES` value. */
export function parseScope(value: string | undefined): NamespaceScope {
  const entries = (value ?? "")
    .split(/[\s,]+/)
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  for (const entry of entries) if (!PATTERN_ENTRY.test(entry)) throw new ScopeConfigError(entry);
  const unrestricted = entries.includes("*");
  const exact = new Set(entries.filter((e) => !e.endsWith("*")));
  const prefixes = entries.filter((e) => e.endsWith("*") && e !== "*").map((e) => e.slice(0, -1));
  return {
    entries,
    unrestricted,
    allows: (namespace) => unrestricted || exact.has(namespace) || prefixes.some((p) => namespace.startsWith(p)),
  };
}
