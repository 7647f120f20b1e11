/**
 * `faas-cli build`, reproduced without Docker, in two parts as in reality:
 * 1. faas-cli lays out the build context `build/<fn>/`: the whole template folder, then every entry of
 *    the handler folder copied over `function/` (entries named `build` and `template` excepted), symlinks
 *    followed (go-sdk `builder.CreateBuildContext`, which faas-cli 0.18 calls; `--shrinkwrap` stops here);
 * 2. `docker build` follows the template's Dockerfile on that context: `.dockerignore` applied, the build
 *    stage replayed instruction by instruction in a folder of its own that stands for the stage's
 *    /home/app (only what COPY puts there exists), the ship stage assembled from its `COPY --from=build`
 *    lines into another. A {@link LayerCache} reuses a stage up to its first changed input, as Docker's
 *    does.
 * Conformance compares part 1 with the real `faas-cli build --shrinkwrap`, and runs part 2 on the real
 * faas-cli's output.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { basename, dirname, join, posix, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { parseCopy, parseDockerfile, parseEnv, type Instruction, type Stage } from "./dockerfile.js";
import { isIgnored, readDockerignore } from "./dockerignore.js";
import { cleanEnv } from "./process.js";

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (this file runs from test/template/support, and compiled from its dist/ for the bench). */
export const REPO_ROOT = resolve(here, basename(here) === "dist" ? "../../../.." : "../../..");
export const TEMPLATE_DIR = join(REPO_ROOT, "template/node-ts-iam");

/** What a build left behind. */
export interface FaasBuild {
  /** `build/<fn>/`: the Docker build context, as faas-cli wrote it. */
  readonly contextDir: string;
  /** The build stage's /home/app after its last instruction. */
  readonly stageDir: string;
  /** The ship stage's /home/app: what the image holds. */
  readonly shipDir: string;
  /** ENV of the ship stage (what the watchdog and fprocess see). */
  readonly shipEnv: Record<string, string>;
  /** The ship stage's USER. */
  readonly shipUser: string | undefined;
  /** `fprocess` from template.yml. */
  readonly fprocess: string;
  /** Output of every RUN that ran (cached steps print nothing, as in Docker), in order. */
  readonly output: string;
  /** RUN instructions taken from the cache. */
  readonly cachedRuns: readonly string[];
  /** COPY lines from images outside the build (the watchdog binary), recorded, not run. */
  readonly externalCopies: string[];
}

/** Names that faas-cli never copies from a handler folder into the build. */
const HANDLER_SKIP = new Set(["build", "template"]);
/** What a fresh clone of the template holds not (git ignores these). */
const NOT_IN_CLONE = new Set(["node_modules", "dist"]);

/** Copies the template as `faas-cli template pull` (a git clone) would have it: no installs or build outputs. */
export function copyTemplate(dest: string, templateDir = TEMPLATE_DIR): void {
  cpSync(templateDir, dest, {
    recursive: true,
    filter: (source) => !NOT_IN_CLONE.has(basename(source)) && !source.endsWith(".tsbuildinfo"),
  });
}

/** faas-cli's copy: files keep their mode, symlinks are followed, folders merge into existing ones. */
function copyFollowingLinks(source: string, dest: string): void {
  cpSync(source, dest, { recursive: true, dereference: true, force: true });
}

/** Part 1: lays out `contextDir` from the template folder and the handler folder, as faas-cli does. */
export function layoutContext(templateDir: string, handlerDir: string, contextDir: string): void {
  rmSync(contextDir, { recursive: true, force: true });
  mkdirSync(join(contextDir, "function"), { recursive: true });
  copyFollowingLinks(templateDir, contextDir);
  for (const entry of readdirSync(handlerDir)) {
    if (!HANDLER_SKIP.has(entry)) copyFollowingLinks(join(handlerDir, entry), join(contextDir, "function", entry));
  }
}

/**
 * Docker's layer cache: a folder of snapshots of a stage after each RUN that a later COPY from the
 * context follows (and at the end of the stage), keyed by everything the stage has seen so far
 * (instructions and the content of the files copied in).
 */
export type LayerCache = string;

/**
 * The PATH of a RUN: this process's Node first. The image builds and runs with one Node (node:22-alpine),
 * so the build runs under the Node that will start the result (the bench runs a second Node, NODE22,
 * whose builds PATH's Node made before).
 */
function stagePath(): string {
  return `${dirname(process.execPath)}:${process.env["PATH"] ?? ""}`;
}

function run(command: string, cwd: string, env: Record<string, string>, log: (line: string) => void): Promise<string> {
  log(`RUN ${command}  (in ${cwd})`);
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn("sh", ["-c", command], { cwd, env: cleanEnv({ ...env, PATH: stagePath() }), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.once("error", reject);
    child.once("exit", (code) => {
      log(`  ... exit ${code} after ${Date.now() - started} ms`);
      if (code === 0) resolvePromise(output);
      else reject(new Error(`RUN ${command} failed with ${code} in ${cwd}:\n${output}`));
    });
  });
}

/**
 * Copies a folder tree as fast as it can be done safely: files of installed packages (under a
 * `node_modules` folder) are hard-linked, since no later build step writes into them in place (npm
 * replaces or deletes them; its own `.package-lock.json` record is copied); everything else is copied;
 * symlinks are recreated as they are. `linkAll` links every file (for the ship folder, which only the
 * server reads).
 */
function copyTree(source: string, dest: string, linkAll = false): void {
  const walk = (from: string, to: string, inPackages: boolean): void => {
    mkdirSync(to, { recursive: true });
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      const a = join(from, entry.name);
      const b = join(to, entry.name);
      if (entry.isDirectory()) walk(a, b, inPackages || entry.name === "node_modules");
      else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(a), b);
      else if ((linkAll || inPackages) && entry.name !== ".package-lock.json") linkSync(a, b);
      else copyFileSync(a, b);
    }
  };
  if (statSync(source).isDirectory()) walk(source, dest, linkAll);
  else {
    mkdirSync(dirname(dest), { recursive: true });
    if (linkAll) linkSync(source, dest);
    else copyFileSync(source, dest);
  }
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

/** The context as Docker sees it: every file, by `/`-separated path, that `.dockerignore` keeps. */
function contextFiles(contextDir: string): Set<string> {
  const rules = readDockerignore(contextDir);
  const kept = new Set<string>();
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(contextDir, rel), { withFileTypes: true })) {
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (isIgnored(rules, path)) continue;
      if (entry.isDirectory()) walk(path);
      else kept.add(path);
    }
  };
  walk("");
  return kept;
}

/** The context files a COPY source names (a path, a folder, or a `*` pattern in its last segment). */
function matchSources(pattern: string, files: ReadonlySet<string>): { root: string; files: string[] }[] {
  const clean = posix.normalize(pattern).replace(/^\.\/?/, "").replace(/\/+$/, "");
  if (clean.includes("*")) {
    const dir = posix.dirname(clean);
    const regex = new RegExp(`^${posix.basename(clean).replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}$`);
    const prefix = dir === "." ? "" : `${dir}/`;
    return [...files]
      .filter((file) => file.startsWith(prefix) && !file.slice(prefix.length).includes("/") && regex.test(file.slice(prefix.length)))
      .map((file) => ({ root: file, files: [file] }));
  }
  if (files.has(clean)) return [{ root: clean, files: [clean] }];
  const inside = [...files].filter((file) => clean === "" || file.startsWith(`${clean}/`));
  return inside.length > 0 ? [{ root: clean, files: inside }] : [];
}

function sha256(...parts: (string | Buffer)[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part).update("\0");
  return hash.digest("hex");
}

/** One step of the build stage, with its cache key and what replaying it does. */
interface Step {
  readonly instruction: Instruction;
  readonly key: string;
  /** Applies the step to the stage folder (RUN: runs the command). */
  apply(): Promise<void>;
}

/** Replays one stage in `stageDir`, reusing the longest cached prefix of its RUNs. */
async function replayStage(
  stage: Stage,
  stageDir: string,
  context: { dir: string; files: ReadonlySet<string> },
  cache: LayerCache | undefined,
  log: (line: string) => void,
): Promise<{ output: string; cachedRuns: string[] }> {
  rmSync(stageDir, { recursive: true, force: true });
  mkdirSync(stageDir, { recursive: true });
  // Each instruction becomes a step whose key chains everything before it.
  const toHost = makeMapper(stage, stageDir);
  let workdir = "/";
  let env: Record<string, string> = {};
  // The Node that runs the stage is part of its image.
  let key = sha256(stage.image, process.execPath, process.version);
  let output = "";
  const steps: Step[] = [];
  for (const instruction of stage.instructions) {
    const text = `${instruction.keyword} ${JSON.stringify(instruction.flags)} ${instruction.args}`;
    if (instruction.keyword === "WORKDIR") {
      workdir = posix.resolve(workdir, instruction.args);
      const dir = toHost(".", workdir);
      steps.push({ instruction, key: (key = sha256(key, text)), apply: async () => void mkdirSync(dir, { recursive: true }) });
    } else if (instruction.keyword === "ENV") {
      env = { ...env, ...parseEnv(instruction.args) };
      key = sha256(key, text);
    } else if (instruction.keyword === "COPY") {
      if (instruction.flags["from"]) throw new Error(`stage ${stage.name}: COPY --from is only reproduced in the last stage`);
      const { sources, dest } = parseCopy(instruction.args);
      const target = toHost(dest, workdir);
      const destIsDir = dest.endsWith("/") || dest === "." || sources.length > 1 || sources.some((s) => s.includes("*"));
      const copies: { from: string; to: string }[] = [];
      for (const pattern of sources) {
        const matched = matchSources(pattern, context.files);
        if (matched.length === 0) throw new Error(`COPY ${pattern}: not found in the build context (or left out by .dockerignore)`);
        for (const { root, files: inside } of matched) {
          for (const file of inside) {
            const single = inside.length === 1 && file === root;
            const to = single ? (destIsDir ? join(target, posix.basename(file)) : target) : join(target, posix.relative(root, file));
            copies.push({ from: join(context.dir, file), to });
          }
        }
      }
      const contentKey = copies.map(({ from, to }) => sha256(relative(stageDir, to), String(statSync(from).mode), readFileSync(from)));
      key = sha256(key, text, ...contentKey);
      steps.push({
        instruction,
        key,
        apply: async () => {
          for (const { from, to } of copies) {
            mkdirSync(dirname(to), { recursive: true });
            rmSync(to, { force: true }); // never write through a link into a cached snapshot
            copyFileSync(from, to);
            chmodSync(to, statSync(from).mode);
          }
        },
      });
    } else if (instruction.keyword === "RUN") {
      const cwd = toHost(".", workdir);
      const runEnv = env;
      steps.push({
        instruction,
        key: (key = sha256(key, text)),
        apply: async () => void (output += await run(instruction.args, cwd, runEnv, log)),
      });
    } else if (!["ARG", "LABEL", "USER", "SHELL"].includes(instruction.keyword)) {
      throw new Error(`stage ${stage.name}: ${instruction.keyword} not reproduced`);
    }
  }

  // Skip the longest prefix whose RUNs are all cached, restore its last snapshot, run the rest.
  const snapshot = (stepKey: string): string | undefined => (cache ? join(cache, stepKey) : undefined);
  let resumeAt = 0;
  let restoreFrom: string | undefined;
  const cachedRuns: string[] = [];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as Step;
    if (step.instruction.keyword !== "RUN") continue;
    const saved = snapshot(step.key);
    if (saved === undefined || !existsSync(saved)) break;
    cachedRuns.push(step.instruction.args);
    resumeAt = i + 1;
    restoreFrom = saved;
  }
  if (restoreFrom !== undefined) {
    log(`stage ${stage.name}: cached up to RUN ${cachedRuns.at(-1) ?? ""}`);
    rmSync(stageDir, { recursive: true, force: true });
    copyTree(restoreFrom, stageDir);
  }
  for (let i = resumeAt; i < steps.length; i++) {
    const step = steps[i] as Step;
    await step.apply();
    const saved = snapshot(step.key);
    // Snapshots where a later input may differ (a COPY follows), and at the end of the stage.
    const worthKeeping = steps.slice(i + 1).some((later) => later.instruction.keyword === "COPY") || i === steps.length - 1;
    if (saved !== undefined && step.instruction.keyword === "RUN" && worthKeeping && !existsSync(saved)) {
      copyTree(stageDir, saved);
    }
  }
  return { output, cachedRuns };
}

/**
 * Part 2: `docker build` of `contextDir` into `workDir` (which gets `stages/<name>/` and `ship/`),
 * following the context's Dockerfile with its `.dockerignore`. Stages with instructions are replayed in
 * order; the last one is assembled from its `COPY --from` lines; stages without instructions are images
 * from elsewhere (the watchdog), whose copies are recorded.
 */
export async function dockerBuild(options: {
  contextDir: string;
  workDir: string;
  cache?: LayerCache;
  log?: (line: string) => void;
}): Promise<Omit<FaasBuild, "fprocess">> {
  const { contextDir, workDir, cache } = options;
  const log = options.log ?? ((line: string) => void process.stderr.write(`docker build ${basename(contextDir)}: ${line}\n`));
  const context = { dir: contextDir, files: contextFiles(contextDir) };
  const stages = parseDockerfile(readFileSync(join(contextDir, "Dockerfile"), "utf8"));
  const shipStage = stages.at(-1);
  if (!shipStage || !stages.some((s) => s.name === "build")) throw new Error("Dockerfile: expected a build stage and a final ship stage");
  const external = new Set(stages.filter((s) => s.instructions.length === 0).map((s) => s.name));

  const stageDirs = new Map<string, string>();
  let output = "";
  const cachedRuns: string[] = [];
  for (const stage of stages.slice(0, -1)) {
    if (external.has(stage.name)) continue;
    const dir = join(workDir, "stages", stage.name);
    const replayed = await replayStage(stage, dir, context, cache, log);
    stageDirs.set(stage.name, dir);
    output += replayed.output;
    cachedRuns.push(...replayed.cachedRuns);
  }

  // Ship stage: assembled from the earlier stages' files.
  const shipDir = join(workDir, "ship");
  rmSync(shipDir, { recursive: true, force: true });
  let shipEnv: Record<string, string> = {};
  let shipUser: string | undefined;
  const externalCopies: string[] = [];
  const toShip = makeMapper(shipStage, shipDir);
  let workdir = "/";
  for (const step of shipStage.instructions) {
    if (step.keyword === "WORKDIR") {
      workdir = posix.resolve(workdir, step.args);
      mkdirSync(toShip(".", workdir), { recursive: true });
    } else if (step.keyword === "ENV") shipEnv = { ...shipEnv, ...parseEnv(step.args) };
    else if (step.keyword === "USER") shipUser = step.args;
    else if (step.keyword === "COPY") {
      const from = step.flags["from"] ?? "";
      if (external.has(from)) {
        externalCopies.push(`COPY --from=${from} ${step.args}`);
        continue;
      }
      const fromStage = stages.find((s) => s.name === from);
      const fromDir = stageDirs.get(from);
      if (!fromStage || !fromDir) throw new Error(`ship stage: COPY without --from=<earlier stage> is not reproduced (${step.args})`);
      const fromHost = makeMapper(fromStage, fromDir);
      const { sources, dest } = parseCopy(step.args);
      const target = toShip(dest, workdir);
      for (const source of sources) {
        const path = fromHost(source, "/");
        const file = statSync(path).isDirectory() || !(dest.endsWith("/") || dest === ".") ? target : join(target, basename(path));
        copyTree(path, file, true);
      }
    } else if (step.keyword === "RUN") throw new Error(`ship stage: RUN is not reproduced (${step.args})`);
  }
  log(`built: ship folder ${relative(workDir, shipDir)}`);
  const stageDir = stageDirs.get("build") as string;
  return { contextDir, stageDir, shipDir, shipEnv, shipUser, output, cachedRuns, externalCopies };
}

/** `fprocess` of the template in a build context. */
export function readFprocess(contextDir: string): string {
  return (parseYaml(readFileSync(join(contextDir, "template.yml"), "utf8")) as { fprocess: string }).fprocess;
}

/**
 * Builds the handler in `handlerDir` as function `name` under `workDir`: the context in
 * `build/<name>/` (part 1), the stages in `<name>/` (part 2), with the layer cache in `layer-cache/`,
 * shared by the builds in the same `workDir` and removed with it.
 */
export async function faasCliBuild(options: {
  workDir: string;
  name: string;
  handlerDir: string;
  /** The template folder to build with (default: a clean copy of this repository's, as `template pull` gives). */
  templateDir?: string;
  log?: (line: string) => void;
}): Promise<FaasBuild> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`template build ${options.name}: ${line}\n`));
  let templateDir = options.templateDir;
  if (templateDir === undefined) {
    templateDir = join(options.workDir, "template", "node-ts-iam");
    if (!existsSync(templateDir)) copyTemplate(templateDir);
  }
  const contextDir = join(options.workDir, "build", options.name);
  layoutContext(templateDir, options.handlerDir, contextDir);
  const built = await dockerBuild({ contextDir, workDir: join(options.workDir, options.name), cache: join(options.workDir, "layer-cache"), log });
  return { ...built, fprocess: readFprocess(contextDir) };
}
