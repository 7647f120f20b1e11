import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parse } from "yaml";

/** The language this sandbox can run. */
export const RUNNABLE_LANG = "node-ts-iam";

/** `limits` or `requests` of a stack function (faas-cli reads only these two). */
export interface StackResources {
  memory?: string;
  cpu?: string;
}

/** One function of a stack file, with paths resolved and `${VAR}` substituted. */
export interface StackFunction {
  name: string;
  lang: string;
  /** Absolute handler directory. */
  handler: string;
  image: string;
  namespace?: string;
  /** `fprocess` of the stack; when absent faas-cli sends the template's. */
  fprocess?: string;
  /** `environment` overlaid with the `environment_file`s (the files win, as in faas-cli). */
  environment: Record<string, string>;
  secrets: string[];
  /** Undefined when the stack has no `constraints` key. */
  constraints?: string[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  limits?: StackResources;
  requests?: StackResources;
  readOnlyRootFilesystem: boolean;
}

/** A parsed stack file. */
export interface Stack {
  file: string;
  gateway?: string;
  functions: StackFunction[];
}

/** A stack file faas-cli would refuse; names the file and the field. */
export class StackError extends Error {
  constructor(file: string, field: string, problem: string) {
    super(`${file}: ${field}: ${problem}`);
    this.name = "StackError";
  }
}

/**
 * Substitutes `${VAR}`, `${VAR:-default}` (default when unset or empty) and `${VAR-default}`
 * (default when unset), as faas-cli does for stack files; an unset variable without default becomes "".
 */
export function substituteEnv(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g, (_m, name: string, op: string | undefined, fallback: string | undefined) => {
    const value = env[name];
    if (op === ":-") return value === undefined || value === "" ? (fallback ?? "") : value;
    if (op === "-") return value === undefined ? (fallback ?? "") : value;
    return value ?? "";
  });
}

/** Reads and validates a stack file (faas-cli's rules: provider openfaas, version 1.0). */
export async function loadStack(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Stack> {
  const text = substituteEnv(await readFile(file, "utf8"), env);
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new StackError(file, "(yaml)", (err as Error).message);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new StackError(file, "(root)", "must be a mapping");
  const root = doc as Record<string, unknown>;
  if (root["version"] !== undefined && String(root["version"]) !== "1" && String(root["version"]) !== "1.0") throw new StackError(file, "version", `must be 1.0, got ${String(root["version"])}`);
  const provider = (root["provider"] ?? {}) as Record<string, unknown>;
  if (provider["name"] !== undefined && provider["name"] !== "openfaas") throw new StackError(file, "provider.name", 'must be "openfaas"');
  const fns = root["functions"];
  if (fns === undefined || fns === null) return { file, functions: [], ...(typeof provider["gateway"] === "string" ? { gateway: provider["gateway"] } : {}) };
  if (typeof fns !== "object" || Array.isArray(fns)) throw new StackError(file, "functions", "must be a mapping of name to function");
  const base = dirname(file);
  const functions: StackFunction[] = [];
  for (const [name, raw] of Object.entries(fns as Record<string, unknown>)) {
    const at = `functions.${name}`;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new StackError(file, at, "must be a mapping");
    const f = raw as Record<string, unknown>;
    const lang = requireString(file, `${at}.lang`, f["lang"]);
    const handler = requireString(file, `${at}.handler`, f["handler"]);
    const image = requireString(file, `${at}.image`, f["image"]);
    // faas-cli deploy overlays the files on `environment` (util.MergeMap(environment, files)).
    const environment: Record<string, string> = stringMap(file, `${at}.environment`, f["environment"]);
    for (const envFile of stringList(file, `${at}.environment_file`, f["environment_file"])) {
      const field = `${at}.environment_file(${envFile})`;
      const text = await readFile(resolve(base, envFile), "utf8").catch((err: NodeJS.ErrnoException) => {
        throw new StackError(file, field, `cannot read ${resolve(base, envFile)} (${err.code ?? err.message})`);
      });
      let content: { environment?: Record<string, unknown> } | null;
      try {
        content = parse(substituteEnv(text, env)) as typeof content;
      } catch {
        throw new StackError(file, field, "is not valid YAML");
      }
      Object.assign(environment, stringMap(file, `${field}.environment`, content?.environment));
    }
    const fprocess = optionalString(file, `${at}.fprocess`, f["fprocess"]);
    const limits = resources(file, `${at}.limits`, f["limits"]);
    const requests = resources(file, `${at}.requests`, f["requests"]);
    const readOnly = f["readonly_root_filesystem"];
    if (readOnly !== undefined && readOnly !== null && typeof readOnly !== "boolean") throw new StackError(file, `${at}.readonly_root_filesystem`, "must be true or false");
    functions.push({
      name,
      lang,
      handler: resolve(base, handler),
      image,
      ...(typeof f["namespace"] === "string" && f["namespace"] !== "" ? { namespace: f["namespace"] } : {}),
      ...(fprocess ? { fprocess } : {}),
      environment,
      secrets: stringList(file, `${at}.secrets`, f["secrets"]),
      ...(f["constraints"] !== undefined && f["constraints"] !== null ? { constraints: stringList(file, `${at}.constraints`, f["constraints"]) } : {}),
      labels: stringMap(file, `${at}.labels`, f["labels"]),
      annotations: stringMap(file, `${at}.annotations`, f["annotations"]),
      ...(limits ? { limits } : {}),
      ...(requests ? { requests } : {}),
      readOnlyRootFilesystem: readOnly === true,
    });
  }
  return { file, functions, ...(typeof provider["gateway"] === "string" ? { gateway: provider["gateway"] } : {}) };
}

function requireString(file: string, field: string, value: unknown): string {
  if (typeof value !== "string" || value === "") throw new StackError(file, field, "is required and must be a string");
  return value;
}

function optionalString(file: string, field: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new StackError(file, field, "must be a string");
  return value;
}

/** `memory` and `cpu` of a `limits`/`requests` mapping (other keys are ignored, as faas-cli's schema has only these). */
function resources(file: string, field: string, value: unknown): StackResources | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw new StackError(file, field, "must be a mapping with memory and/or cpu");
  const r = value as Record<string, unknown>;
  const out: StackResources = {};
  for (const key of ["memory", "cpu"] as const) {
    if (r[key] === undefined || r[key] === null) continue;
    if (typeof r[key] !== "string" && typeof r[key] !== "number") throw new StackError(file, `${field}.${key}`, "must be a quantity such as 128Mi or 100m");
    out[key] = String(r[key]);
  }
  return out;
}

function stringList(file: string, field: string, value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw new StackError(file, field, "must be a list of strings");
  return value as string[];
}

/** Maps scalars to strings as faas-cli does for environment values (`true` → "true"). */
function stringMap(file: string, field: string, value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new StackError(file, field, "must be a mapping");
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v !== null && typeof v === "object") throw new StackError(file, `${field}.${k}`, "must be a scalar");
    out[k] = v === null || v === undefined ? "" : String(v);
  }
  return out;
}
