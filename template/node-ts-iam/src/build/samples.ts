/**
 * The template's sample function files (`function/`), known by content: faas-cli copies them into
 * every build under the user's folder, and the build tells them from the user's files by their SHA-256
 * (line endings normalised to LF). test/template keeps these in step with the files.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** SHA-256 of each sample file that the build may leave out or must recognise. */
export const SAMPLE_SHA256: Readonly<Record<string, string>> = {
  "handler.ts": "8691a4381eb600e704662282403f5236b5bc824835b6cdc08723b2eff57ae08d",
  "handler.test.ts": "446c13823fd62cfac8b595225daf35e9b263b51a9b1161386f58acef8d50adb3",
  "package.json": "5ddfe8ce15558e55222052f5faa72d618a45375ef265feadd7015b8bcb4ea4c8",
};

/** SHA-256 of a text file with its line endings normalised to LF. */
export function textSha256(path: string): string {
  return createHash("sha256").update(readFileSync(path, "utf8").replace(/\r\n/g, "\n")).digest("hex");
}

/** Whether `name` in `dir` is the template's untouched sample file of that name. */
export function isSampleFile(dir: string, name: string): boolean {
  const expected = SAMPLE_SHA256[name];
  return expected !== undefined && textSha256(join(dir, name)) === expected;
}
