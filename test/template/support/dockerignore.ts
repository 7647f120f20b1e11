/**
 * `.dockerignore` as Docker applies it to a build context (moby/patternmatcher, used by BuildKit):
 * one pattern a line, `#` comments, `!` re-includes; patterns are cleaned (`filepath.Clean`, leading
 * `/` dropped); `*` and `?` stop at `/`, `**` spans any number of folders; a pattern that matches a
 * folder excludes everything in it; the last pattern that matches a path decides.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";

interface Rule {
  readonly regex: RegExp;
  readonly exclude: boolean;
}

/** Go's filepath.Clean on a slash path, as patternmatcher cleans each pattern. */
function clean(pattern: string): string {
  const cleaned = posix.normalize(pattern).replace(/\/+$/, "");
  const relative = cleaned.startsWith("/") && cleaned.length > 1 ? cleaned.slice(1) : cleaned;
  return relative === "" ? "." : relative;
}

function toRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        if (pattern[i + 1] === "/") {
          i++;
          source += "(?:.*/)?"; // "**/": zero or more whole folders
        } else {
          source += ".*";
        }
      } else {
        source += "[^/]*";
      }
    } else if (ch === "?") {
      source += "[^/]";
    } else if (ch === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end === -1) throw new Error(`.dockerignore: unterminated [ in ${pattern}`);
      source += `[${pattern.slice(i + 1, end).replace(/\\/g, "\\\\")}]`;
      i = end;
    } else if (ch === "\\" && i + 1 < pattern.length) {
      source += (pattern[++i] as string).replace(/[.+^${}()|[\]\\*?]/g, "\\$&");
    } else {
      source += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}

/** Parses `.dockerignore` text into its rules. */
export function parseDockerignore(text: string): Rule[] {
  const rules: Rule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const exclude = !line.startsWith("!");
    if (!exclude) line = line.slice(1).trim();
    if (line === "") continue;
    rules.push({ regex: toRegExp(clean(line)), exclude });
  }
  return rules;
}

/** Whether `path` (relative to the context, `/`-separated) is left out of the context by `rules`. */
export function isIgnored(rules: readonly Rule[], path: string): boolean {
  const parents = path.split("/").slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join("/"));
  let ignored = false;
  for (const rule of rules) {
    if (rule.regex.test(path) || parents.some((parent) => rule.regex.test(parent))) ignored = rule.exclude;
  }
  return ignored;
}

/** The rules of a context folder's `.dockerignore` (none when it has no such file). */
export function readDockerignore(contextDir: string): Rule[] {
  const file = join(contextDir, ".dockerignore");
  return existsSync(file) ? parseDockerignore(readFileSync(file, "utf8")) : [];
}
