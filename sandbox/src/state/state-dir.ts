import { join, resolve } from "node:path";

/** The state folder under the root when neither `--state-dir` nor `SANDBOX_STATE_DIR` names one. */
const DEFAULT_STATE_DIR_NAME = ".sandbox";

/**
 * The state folder a command uses (`npm start`, `npm run token`, `npm run policy`): `flag` (its
 * `--state-dir`), else `SANDBOX_STATE_DIR`, else `<root>/.sandbox`. An empty value counts as unset,
 * as for every other `SANDBOX_*` variable: it never makes the current folder the state folder.
 */
export function stateDirFor(flag: string | undefined, root: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag || env["SANDBOX_STATE_DIR"] || join(root, DEFAULT_STATE_DIR_NAME));
}
