/**
 * What a project folder holds for the sandbox and the policy tool: its stack file, found as faas-cli
 * finds it, and the folders of IAM manifests beside its functions. A project is the folder faas-cli
 * works in (`faas-cli new` wrote its stack file and `faas-cli template pull` its `template/`), this
 * repository as well as a user's own.
 */
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Stack } from "./runner/stack.js";

/**
 * The stack file names faas-cli reads when it is given no `-f`, in its order: `stack.yaml` first (the
 * name `faas-cli new` writes since 0.17.1), then `stack.yml` (checked with faas-cli 0.18.12).
 */
export const STACK_FILE_NAMES = ["stack.yaml", "stack.yml"] as const;

/** The folder, under a function's handler folder, that holds its IAM manifests (`myfn/iam/*.yaml`). */
export const IAM_DIR_NAME = "iam";

/** The stack file of a project folder, as faas-cli picks it; undefined when it has none. */
export function findStackFile(dir: string): string | undefined {
  return STACK_FILE_NAMES.map((name) => join(dir, name)).find((file) => existsSync(file));
}

/**
 * The IAM manifest folders of a project, in load order: `<root>/functions/*\/iam` (this repository's
 * layout, which also holds the callers' manifests), then `<handler>/iam` of each stack function that
 * has one. A folder reached both ways is listed once.
 */
export async function projectIamDirs(root: string, stack?: Stack): Promise<string[]> {
  const base = join(root, "functions");
  const names = (await readdir(base).catch(() => [] as string[])).sort();
  const dirs = names.map((name) => join(base, name, IAM_DIR_NAME));
  for (const fn of stack?.functions ?? []) dirs.push(join(fn.handler, IAM_DIR_NAME));
  return [...new Set(dirs)].filter((dir) => existsSync(dir));
}
