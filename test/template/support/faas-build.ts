/**
 * `faas-cli build`, reproduced without Docker: the build context is made as faas-cli makes it, then the
 * template's Dockerfile is followed instruction by instruction. The build stage runs in the context
 * folder itself (its WORKDIR mirrors the context), the ship stage is assembled from its
 * `COPY --from=build` lines into a separate folder, which is what the image would contain.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, posix, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { parseCopy, parseDockerfile, parseEnv, type Stage } from "./dockerfile.js";
import { cleanEnv } from "./process.js";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const TEMPLATE_DIR = join(REPO_ROOT, "template/node-ts-iam");

/** What a build left behind. */
export interface FaasBuild {
  /** `build/<fn>/`: the Docker build context, and the build stage's /home/app. */
  readonly buildDir: string;
  /** The ship stage's /home/app. */
  readonly shipDir: string;
  /** ENV of the ship stage (what the watchdog and fprocess see). */
  readonly shipEnv: Record<string, string>;
  /** The ship stage's USER. */
  readonly shipUser: string | undefined;
  /** `fprocess` from template.yml. */
  readonly fprocess: string;
  /** Output of every RUN, in order. */
  readonly output: string;
  /** COPY lines from images outside the build (the watchdog binary), recorded, not run. */
  readonly externalCopies: string[];
}

/** Names that faas-cli never copies from a handler folder into the build. */
const HANDLER_SKIP = new Set(["build", "template"]);
/** What a fresh clone of the template holds (git ignores these; .dockerignore drops them too). */
const NOT_IN_CLONE = new Set(["node_modules", "dist"]);

/** Copies the template as `faas-cli template pull` would have it (no build outputs). */
export function copyTemplate(dest: string, templateDir = TEMPLATE_DIR): void {
  cpSync(templateDir, dest, {
    recursive: true,
    filter: (source) => !NOT_IN_CLONE.has(basename(source)) && !source.endsWith(".tsbuildinfo"),
  });
}

/** Copies a handler folder over `dest` the way faas-cli does (sub-folders `build` and `template` excepted). */
export function copyHandler(handlerDir: string, dest: string): void {
  mkdirSync(dest, { recursive: true });
  for (const entry of readdirSync(handlerDir)) {
    if (HANDLER_SKIP.has(entry)) continue;
    cpSync(join(handlerDir, entry), join(dest, entry), { recursive: true });
  }
}

function run(command: string, cwd: string, env: Record<string, string>, log: (line: string) => void): Promise<string> {
  log(`RUN ${command}  (in ${cwd})`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn("sh", ["-c", command], { cwd, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code === 0) resolvePromise(output);
      else reject(new Error(`RUN ${command} failed with ${code} in ${cwd}:\n${output}`));
    });
  });
}

/** Maps an image path under the stage's home (first absolute WORKDIR) into `root`. */
function makeMapper(stage: Stage, root: string): (imagePath: string, workdir: string) => string {
  const home = stage.instructions.find((i) => i.keyword === "WORKDIR" && i.args.startsWith("/"))?.args;
  if (!home) throw new Error(`stage ${stage.name}: no absolute WORKDIR`);
  return (imagePath, workdir) => {
    const absolute = posix.resolve(workdir, imagePath);
    const rel = posix.relative(home, absolute);
    if (rel.startsWith("..")) throw new Error(`stage ${stage.name}: ${absolute} is outside ${home}`);
    return join(root, rel);
  };
}

function expandSources(pattern: string, base: string): string[] {
  if (!pattern.includes("*")) return existsSync(join(base, pattern)) ? [pattern] : [];
  const dir = posix.dirname(pattern);
  const regex = new RegExp(`^${posix.basename(pattern).replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}$`);
  return readdirSync(join(base, dir)).filter((name) => regex.test(name)).map((name) => posix.join(dir, name));
}

/** Docker COPY semantics: a directory's contents go into dest; a file goes to dest (or into it, if dest ends in "/"). */
function copyInto(source: string, target: string, destIsDir: boolean): void {
  if (resolve(source) === resolve(target)) return;
  if (statSync(source).isDirectory()) {
    cpSync(source, target, { recursive: true, verbatimSymlinks: true });
    return;
  }
  const file = destIsDir ? join(target, basename(source)) : target;
  if (resolve(source) === resolve(file)) return;
  mkdirSync(dirname(file), { recursive: true });
  cpSync(source, file, { verbatimSymlinks: true });
}

/**
 * Builds the handler in `handlerDir` as function `name` under `workDir` (which gets `build/<name>/`
 * and `ship/<name>/`).
 */
export async function faasCliBuild(options: {
  workDir: string;
  name: string;
  handlerDir: string;
  /** The template folder to build with (default: this repository's). */
  templateDir?: string;
  log?: (line: string) => void;
}): Promise<FaasBuild> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`template build ${options.name}: ${line}\n`));
  const buildDir = join(options.workDir, "build", options.name);
  const shipDir = join(options.workDir, "ship", options.name);
  copyTemplate(buildDir, options.templateDir);
  copyHandler(options.handlerDir, join(buildDir, "function"));

  const template = parseYaml(readFileSync(join(buildDir, "template.yml"), "utf8")) as { fprocess: string };
  const stages = parseDockerfile(readFileSync(join(buildDir, "Dockerfile"), "utf8"));
  const buildStage = stages.find((s) => s.name === "build");
  const shipStage = stages.at(-1);
  if (!buildStage || !shipStage || shipStage === buildStage) throw new Error("Dockerfile: expected a build stage and a final ship stage");
  const external = new Set(stages.filter((s) => s.instructions.length === 0).map((s) => s.name));

  let output = "";
  const externalCopies: string[] = [];

  // Build stage: runs in the context folder.
  {
    const toHost = makeMapper(buildStage, buildDir);
    let workdir = "/";
    let env: Record<string, string> = {};
    for (const step of buildStage.instructions) {
      if (step.keyword === "WORKDIR") {
        workdir = posix.resolve(workdir, step.args);
        mkdirSync(toHost(".", workdir), { recursive: true });
      } else if (step.keyword === "ENV") env = { ...env, ...parseEnv(step.args) };
      else if (step.keyword === "COPY") {
        if (step.flags["from"]) throw new Error("build stage: COPY --from is not reproduced");
        const { sources, dest } = parseCopy(step.args);
        const target = toHost(dest, workdir);
        const destIsDir = dest.endsWith("/") || dest === "." || sources.length > 1 || sources.some((s) => s.includes("*"));
        for (const pattern of sources) for (const source of expandSources(pattern, buildDir)) copyInto(join(buildDir, source), target, destIsDir);
      } else if (step.keyword === "RUN") output += await run(step.args, toHost(".", workdir), env, log);
      else if (!["ARG", "LABEL", "USER", "SHELL"].includes(step.keyword)) throw new Error(`build stage: ${step.keyword} not reproduced`);
    }
  }

  // Ship stage: assembled from the build stage's files.
  let shipEnv: Record<string, string> = {};
  let shipUser: string | undefined;
  {
    const toHost = makeMapper(shipStage, shipDir);
    const fromBuild = makeMapper(buildStage, buildDir);
    let workdir = "/";
    for (const step of shipStage.instructions) {
      if (step.keyword === "WORKDIR") {
        workdir = posix.resolve(workdir, step.args);
        mkdirSync(toHost(".", workdir), { recursive: true });
      } else if (step.keyword === "ENV") shipEnv = { ...shipEnv, ...parseEnv(step.args) };
      else if (step.keyword === "USER") shipUser = step.args;
      else if (step.keyword === "COPY") {
        const from = step.flags["from"];
        if (from !== undefined && external.has(from)) {
          externalCopies.push(`COPY --from=${from} ${step.args}`);
          continue;
        }
        if (from !== "build") throw new Error(`ship stage: COPY without --from=build is not reproduced (${step.args})`);
        const { sources, dest } = parseCopy(step.args);
        const target = toHost(dest, workdir);
        for (const source of sources) copyInto(fromBuild(source, "/"), target, dest.endsWith("/") || dest === ".");
      } else if (step.keyword === "RUN") throw new Error(`ship stage: RUN is not reproduced (${step.args})`);
    }
  }
  log(`built: ship folder ${relative(options.workDir, shipDir)}`);
  return { buildDir, shipDir, shipEnv, shipUser, fprocess: template.fprocess, output, externalCopies };
}
