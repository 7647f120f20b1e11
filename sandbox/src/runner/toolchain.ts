/**
 * The build tools the sandbox brings: its own TypeScript compiler, and its own installed copies of the
 * packages a template needs, found from where the sandbox is installed, never from the project it runs
 * (a user's project has no compiler until its functions are `npm install`ed, and need not have one).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** This package's folder (sandbox/dist or sandbox/src → sandbox). */
const SANDBOX_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * The folder of package `name` as Node would find it from `from`: `node_modules/<name>` in `from` or
 * the nearest of its ancestors. Undefined when none has it.
 */
export function findPackageDir(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The folder of one of the sandbox's own packages; throws naming it when the install lacks it. */
export function sandboxPackageDir(name: string): string {
  const dir = findPackageDir(SANDBOX_DIR, name);
  if (!dir) throw new Error(`the sandbox's install has no ${name}: run npm ci in the node-ts-iam checkout`);
  return dir;
}

/** Runs the sandbox's tsc with `args` in `cwd`; rejects with tsc's output when it fails. */
export function runTsc(args: string[], cwd: string): Promise<void> {
  return runNode("tsc", [join(sandboxPackageDir("typescript"), "bin", "tsc"), ...args], cwd);
}

/** Runs a build script with this Node (`what` names it in the error); rejects with its output when it fails. */
export function runNode(what: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${what} ${args.slice(1).join(" ")} failed (exit ${code}):\n${output.trim()}`))));
  });
}
