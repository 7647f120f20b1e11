const cache = new Map<string, RegExp>();

/**
 * Matches `text` against an IAM pattern the way the gateway does: `*` becomes `.*`, everything else
 * is literal, and the pattern is anchored at both ends (so `tenant-*:*` covers `tenant-a:fn`).
 */
export function globMatches(pattern: string, text: string): boolean {
  let re = cache.get(pattern);
  if (!re) {
    const source = pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*");
    re = new RegExp(`^${source}$`, "s");
    if (cache.size > 10_000) cache.clear();
    cache.set(pattern, re);
  }
  return re.test(text);
}
