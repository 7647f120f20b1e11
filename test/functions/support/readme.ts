/** Reads the walkthrough blocks of a README (functions/README.md by default) so that tests run them as written. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./repo.js";

/** The README that holds the samples' walkthrough. */
export const WALKTHROUGH_README = join(repoRoot, "functions", "README.md");

/**
 * The code of the fenced block that follows `<!-- walkthrough:<name> -->` in `readme`
 * (functions/README.md by default); throws naming the marker when there is none (a renamed or
 * removed walkthrough must fail its test).
 */
export function walkthroughBlock(name: string, readme = WALKTHROUGH_README): string {
  const text = readFileSync(readme, "utf8");
  const marker = `<!-- walkthrough:${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`${readme} has no ${marker}`);
  const block = /```[a-z]*\n([\s\S]*?)\n```/.exec(text.slice(at + marker.length));
  if (!block) throw new Error(`${readme}: no code block after ${marker}`);
  return block[1]!;
}

/**
 * The walkthrough's gateway URL, as written in the line that defines `$GW` (and `OPENFAAS_URL` in
 * the faas-cli block). A test that runs a block against a sandbox on another port replaces it with
 * that sandbox's URL, or sets `SANDBOX_PORT`, which the expression reads.
 */
export const README_GATEWAY = "http://127.0.0.1:${SANDBOX_PORT:-8080}";

/**
 * What a block documents that it prints: the trailing comment (`  # ...`) of each command line that
 * starts with `curl` (continuation lines joined), in order, each as a pattern of the whole line in
 * which `...` stands for any text. Lines whose comment explains rather than shows output are written
 * with the comment on a line of its own, so they are not taken.
 */
export function documentedOutputs(block: string): RegExp[] {
  const logical = block.replace(/\\\n/g, " ").split("\n");
  const out: RegExp[] = [];
  for (const line of logical) {
    if (!line.startsWith("curl ")) continue;
    const comment = /\s{2,}# (.*)$/.exec(line);
    if (!comment) throw new Error(`walkthrough: a curl line without its output in a trailing comment: ${line.slice(0, 100)}`);
    const pattern = comment[1]!
      .split("...")
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*");
    out.push(new RegExp(`^${pattern}$`));
  }
  return out;
}
