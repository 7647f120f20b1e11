#!/usr/bin/env node
// @ts-check
/**
 * Prepares this template folder for a function developed beside it, as the image build's first stage
 * prepares /home/app: the template's pinned dependencies installed from its own lock (`npm ci`), and
 * its SDK built as its own `npm run build` builds it (`tsc -b sdk`, then its bundle step,
 * sdk/bundle.mjs). The sample function's `npm install` runs it (its package.json's
 * `prepare` script), so that the function's link to the SDK (`file:../template/node-ts-iam/sdk`) gives
 * the editor, `tsc` and `npm test` the very SDK the image ships, with undici resolved beside it (npm
 * installs nothing for a linked folder outside the project). Each step that is up to date is skipped:
 * in the image build, where the Dockerfile has done them all, it costs a few tenths of a second.
 *
 * Plain JavaScript, checked by the test tsconfig: it runs before anything here is compiled.
 */
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const shown = relative(process.env["INIT_CWD"] ?? process.cwd(), here) || ".";

/**
 * Settings an outer `npm install` hands its scripts that would change what `npm ci` installs here
 * (`--omit=dev` would leave out the compiler) or where (`local_prefix` is the function's folder).
 * Registry, proxy, certificate and cache settings stay.
 */
const INSTALL_SHAPE = /^npm_config_(omit|include|only|also|production|dev|global|location|workspaces?|include_workspace_root|install_strategy|global_style|legacy_bundling|save.*|package_lock.*|dry_run|local_prefix|lockfile_version)$/i;

/** Last modification time of a file, 0 when it is absent. */
function mtime(/** @type {string} */ path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

/** Whether `npm ci` has run here since the lock or a package.json last changed (npm writes its record of the install last). */
function installed() {
  const record = mtime(join(here, "node_modules", ".package-lock.json"));
  return record > 0 && ["package-lock.json", "package.json", join("sdk", "package.json")].every((file) => record >= mtime(join(here, file)));
}

/** Runs a command here with its output shown; exits with a line naming it when it fails. */
function run(/** @type {string} */ what, /** @type {string} */ command, /** @type {string[]} */ args, /** @type {NodeJS.ProcessEnv} */ env = process.env) {
  // On Windows, npm on PATH is a .cmd script, which only a shell runs.
  const result = spawnSync(command, args, { cwd: here, env, stdio: "inherit", shell: process.platform === "win32" && command === "npm" });
  if (result.status !== 0) {
    process.stderr.write(`node-ts-iam setup: ${what} in ${shown} failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`})\n`);
    process.exit(1);
  }
}

if (!installed()) {
  process.stderr.write(`node-ts-iam setup: installing the template's dependencies (npm ci in ${shown})\n`);
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !INSTALL_SHAPE.test(name)));
  // npm's own entry when npm runs this script (npm_execpath), so the same npm installs; else the one on PATH.
  const npm = process.env["npm_execpath"];
  const npmArgs = ["ci", "--include=dev", "--no-audit", "--no-fund"];
  if (npm) run("npm ci", process.execPath, [npm, ...npmArgs], env);
  else run("npm ci", "npm", npmArgs, env);
}
run("tsc -b sdk", process.execPath, [join(here, "node_modules", "typescript", "bin", "tsc"), "-b", "sdk"]);
run("the SDK's bundle step", process.execPath, [join(here, "sdk", "bundle.mjs")]);
