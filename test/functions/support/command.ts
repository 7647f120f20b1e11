/** Runs the repository's command-line tools (`npm run cluster:render`, `npm run connector:render`) as a reader of its READMEs would. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { repoRoot } from "./repo.js";

const run = promisify(execFile);

/** How a command ended: its exit status and what it wrote. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `file` with `args` in the repository root to completion (`timeoutMs`, 60 s by default), with
 * `env` over the test's environment (an `undefined` value unsets a variable). A non-zero exit is a
 * result here, not an exception. The one command runner of the tests (sandbox, functions, connectors).
 */
export async function runCommand(file: string, args: readonly string[], env: Readonly<Record<string, string | undefined>> = {}, timeoutMs = 60_000): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd: repoRoot, env: { ...process.env, ...env }, timeout: timeoutMs });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}
