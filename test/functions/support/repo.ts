/** Reads the repository's function manifests and stack file for tests. */
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseAllDocuments, parseDocument, isScalar } from "yaml";
import { substituteEnv } from "@node-ts-iam/sandbox";

/** The repository root. */
export const repoRoot = resolve(import.meta.dirname, "../../..");

/**
 * The sample functions: folders of `functions/` with a handler (`cluster/` and `callers/` hold
 * manifests), and stack.yml entries whose handler is under `./functions/` (a sample half added is
 * one, so the tests say what it lacks: support/conventions.ts).
 */
export function functionNames(): string[] {
  const dir = join(repoRoot, "functions");
  const folders = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && existsSync(join(dir, e.name, "handler.ts"))).map((e) => e.name);
  const stack = Object.entries((readStack().stack["functions"] ?? {}) as Record<string, { handler?: string }>);
  return [...new Set([...folders, ...stack.filter(([, fn]) => fn.handler?.startsWith("./functions/")).map(([name]) => name)])].sort();
}

/** One Kubernetes object read from a manifest file. */
export interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Every object in the YAML files of a folder (multi-document files included). */
export function readManifests(dir: string): Manifest[] {
  const out: Manifest[] = [];
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      const value = doc.toJS() as Manifest | null;
      if (value) out.push({ ...value, file: join(dir, file) });
    }
  }
  return out;
}

/** faas-cli's environment substitution (`${VAR}`, `${VAR:-default}`, `${VAR-default}`): the sandbox's, which reads stack.yml the same way. */
export const substitute = (text: string, env: Readonly<Record<string, string | undefined>>): string => substituteEnv(text, env);

/** The stack file parsed after substitution, plus the source text of `version` (YAML reads 1.0 as 1). */
export function readStack(env: Readonly<Record<string, string | undefined>> = {}, file = join(repoRoot, "stack.yml")): {
  stack: Record<string, unknown>;
  versionSource: string | undefined;
} {
  const doc = parseDocument(substitute(readFileSync(file, "utf8"), env));
  if (doc.errors.length > 0) throw new Error(`stack.yml: ${doc.errors[0]!.message}`);
  const version = doc.get("version", true);
  return { stack: doc.toJS() as Record<string, unknown>, versionSource: isScalar(version) ? (version.source ?? String(version.value)) : undefined };
}
