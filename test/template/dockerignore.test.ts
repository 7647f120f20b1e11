/** The faas-cli emulation's `.dockerignore` rules, as Docker applies them (moby/patternmatcher). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isIgnored, parseDockerignore } from "./support/dockerignore.js";
import { TEMPLATE_DIR } from "./support/faas-build.js";

const ignored = (patterns: string, path: string): boolean => isIgnored(parseDockerignore(patterns), path);

describe(".dockerignore", () => {
  it("matches ** across any number of folders, a folder's pattern covering what it holds", () => {
    expect(ignored("**/node_modules", "node_modules/a/index.js")).toBe(true);
    expect(ignored("**/node_modules", "function/node_modules/a/index.js")).toBe(true);
    expect(ignored("**/node_modules", "function/my_node_modules.js")).toBe(false);
    expect(ignored("**/*.tsbuildinfo", "function/tsconfig.tsbuildinfo")).toBe(true);
    expect(ignored("docs/**", "docs/a/b.md")).toBe(true);
    expect(ignored("a/**/b", "a/b")).toBe(true);
    expect(ignored("a/**/b", "a/x/y/b")).toBe(true);
  });

  it("keeps * and ? inside one folder, and patterns relative to the context root", () => {
    expect(ignored("*.md", "README.md")).toBe(true);
    expect(ignored("*.md", "function/README.md")).toBe(false);
    expect(ignored("function/*.log", "function/npm-debug.log")).toBe(true);
    expect(ignored("?.txt", "a.txt")).toBe(true);
    expect(ignored("?.txt", "ab.txt")).toBe(false);
    expect(ignored("/dist/", "dist/index.js")).toBe(true);
    expect(ignored("./dist", "function/dist/index.js")).toBe(false);
  });

  it("lets a later ! pattern bring a path back, and the last match decide", () => {
    const rules = "# comment\n**/dist\n!function/dist/keep.js\n\n";
    expect(ignored(rules, "function/dist/keep.js")).toBe(false);
    expect(ignored(rules, "function/dist/other.js")).toBe(true);
    expect(ignored("!a.txt\na.txt", "a.txt")).toBe(true);
    expect(ignored("[ab].txt", "b.txt")).toBe(true);
    expect(ignored("\\*.txt", "*.txt")).toBe(true);
    expect(ignored("\\*.txt", "x.txt")).toBe(false);
  });

  it("drops the template's local installs and outputs, everywhere in the context", () => {
    const rules = parseDockerignore(readFileSync(join(TEMPLATE_DIR, ".dockerignore"), "utf8"));
    for (const path of ["node_modules/x.js", "dist/index.js", "sdk/dist/index.js", "function/node_modules/a/b.js", "function/dist/handler.js", "tsconfig.tsbuildinfo", "function/.git/HEAD"]) {
      expect(isIgnored(rules, path), path).toBe(true);
    }
    for (const path of ["src/index.ts", "function/handler.js", "function/lib/dist.js", "package-lock.json"]) {
      expect(isIgnored(rules, path), path).toBe(false);
    }
  });
});
