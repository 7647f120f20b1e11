/**
 * Every relative link in the repository's Markdown resolves: the file exists and, for `#anchor`,
 * a heading of that file has that GitHub anchor. The README is split per part, so a moved or renamed
 * section must fail here rather than leave a reader at a dead link.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const repo = resolve(import.meta.dirname, "../..");
const markdown = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.md"], { cwd: repo, encoding: "utf8" })
  .split("\n")
  .filter((f) => f !== "" && existsSync(join(repo, f)));

/** GitHub's anchor of a heading: lower case, punctuation dropped but `-` and `_`, spaces to `-`. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .replace(/`/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** Anchors per file, read once however many links point into it. */
const anchorsByFile = new Map<string, Set<string>>();

/** The anchors of a Markdown file's headings (outside code fences), with GitHub's -1, -2 suffixes for repeats. */
function anchors(file: string): Set<string> {
  const known = anchorsByFile.get(file);
  if (known !== undefined) return known;
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    const base = anchorOf(heading[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  anchorsByFile.set(file, out);
  return out;
}

/** Relative links `[text](target)` outside code fences and inline code. */
function links(file: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (fenced) continue;
    for (const m of line.replace(/`[^`]*`/g, "").matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (!/^[a-z]+:/i.test(target)) out.push(target);
    }
  }
  return out;
}

describe("Markdown links", () => {
  it("finds the READMEs", () => {
    expect(markdown).toContain("README.md");
    expect(markdown.length).toBeGreaterThan(5);
  });

  it.each(markdown)("%s: every relative link resolves", (file) => {
    const broken: string[] = [];
    for (const link of links(join(repo, file))) {
      const [path, anchor] = link.split("#") as [string, string | undefined];
      const target = path === "" ? join(repo, file) : resolve(dirname(join(repo, file)), decodeURIComponent(path));
      if (!existsSync(target)) {
        broken.push(`${link}: no ${relative(repo, target)}`);
        continue;
      }
      if (anchor !== undefined && statSync(target).isFile() && target.endsWith(".md") && !anchors(target).has(anchor)) {
        broken.push(`${link}: no heading #${anchor} in ${relative(repo, target)}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("builds GitHub's anchors", () => {
    expect(anchorOf("Who may call them (threat model)")).toBe("who-may-call-them-threat-model");
    expect(anchorOf("The `node-ts-iam` template")).toBe("the-node-ts-iam-template");
    expect(anchorOf("Go SDK → this SDK")).toBe("go-sdk--this-sdk");
  });
});
