/** Reads the walkthrough blocks of the README so that tests run them as written. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./repo.js";

/**
 * The code of the fenced block that follows `<!-- walkthrough:<name> -->` in README.md; throws
 * naming the marker when there is none (a renamed or removed walkthrough must fail its test).
 */
export function walkthroughBlock(name: string): string {
  const text = readFileSync(join(repoRoot, "README.md"), "utf8");
  const marker = `<!-- walkthrough:${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no ${marker}`);
  const block = /```[a-z]*\n([\s\S]*?)\n```/.exec(text.slice(at + marker.length));
  if (!block) throw new Error(`README.md: no code block after ${marker}`);
  return block[1]!;
}

/** The README's sandbox URL, replaced in a walkthrough by the URL of the sandbox a test started. */
export const README_GATEWAY = "http://127.0.0.1:8080";
