import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { IamManifests, RoleObject } from "../iam/types.js";
import { writeFileAtomic } from "../state/atomic-file.js";
import { PolicyToolError } from "./errors.js";
import type { Identity } from "./identity.js";
import { suggestionDocuments, type Suggestion } from "./suggest.js";

/** Where a manifest object goes: a document of an existing file, or a new file. */
interface Target {
  file: string;
  /** 1-based document number to replace; undefined = the file is new. */
  document?: number;
}

/** `file#3` → `{file, document: 3}` (the loader's `source`). */
function targetOf(source: string): Target {
  const hash = source.lastIndexOf("#");
  return { file: source.slice(0, hash), document: Number(source.slice(hash + 1)) };
}

/** Subjects a Role names, or a note that it matches by condition alone. */
function principals(role: RoleObject): string[] {
  return role.spec.principal?.["jwt:sub"] ?? ["(anyone its condition admits)"];
}

/** A new file in the function's `iam` folder, refused if the folder is missing or the file exists. */
function newFile(root: string, identity: Identity, name: string, what: string): Target {
  if (!identity.function) throw new PolicyToolError("WRITE_REFUSED", `no ${what} file to write for ${identity.subject} (not a stack function, and no manifest defines one); redirect the output to a file instead`);
  const dir = join(root, "functions", identity.function.name, "iam");
  if (!existsSync(dir)) throw new PolicyToolError("WRITE_REFUSED", `${dir} does not exist; create it (the sandbox loads functions/*/iam) or redirect the output to a file`);
  const file = join(dir, name);
  if (existsSync(file)) throw new PolicyToolError("WRITE_REFUSED", `${file} exists and holds no ${what} of this name; refusing to overwrite it (pass --policy-name, or redirect the output)`);
  return { file };
}

/**
 * Decides where `--write` puts the Policy and the Role, refusing anything that would change more
 * than this identity's rights: a Policy or Role that also binds other subjects, an identity bound
 * by several Roles (the others would still grant), a file that holds something else.
 */
export function planWrite(root: string, identity: Identity, s: Suggestion, manifests: IamManifests): { policy: Target; role: Target | undefined } {
  const policyName = s.policy.metadata.name;
  const bound = manifests.roles.filter((r) => r.spec.policy?.includes(policyName));
  const others = bound.filter((r) => principals(r).some((p) => p !== identity.subject));
  if (others.length > 0) {
    throw new PolicyToolError("WRITE_REFUSED", `Policy ${policyName} is also bound to ${others.map((r) => `${principals(r).join(", ")} (Role ${r.name})`).join("; ")}: writing it would change their rights; pass --policy-name NEW to suggest it under a new name`);
  }
  const own = manifests.roles.filter((r) => r.spec.principal?.["jwt:sub"]?.includes(identity.subject));
  if (own.length > 1) throw new PolicyToolError("WRITE_REFUSED", `${identity.subject} is bound by several Roles (${own.map((r) => r.name).join(", ")}); the others would still grant: merge them by hand`);
  const role = own[0];
  if (role) {
    if (role.name !== s.role.metadata.name) throw new PolicyToolError("WRITE_REFUSED", `${identity.subject} is bound by Role ${role.name}, not ${s.role.metadata.name}`);
    // The suggested Role binds the suggested Policy alone, to this subject alone: rewriting a Role
    // that binds more would drop someone's grants.
    const more = [...principals(role).filter((p) => p !== identity.subject), ...(role.spec.policy ?? []).filter((p) => p !== policyName)];
    if (more.length > 0) throw new PolicyToolError("WRITE_REFUSED", `Role ${role.name} also binds ${more.join(", ")}; change it by hand`);
  }
  const existingPolicy = manifests.policies.find((p) => p.name === policyName);
  const policy = existingPolicy ? targetOf(existingPolicy.source) : newFile(root, identity, "policy.yaml", "Policy");
  if (!role) return { policy, role: newFile(root, identity, "role.yaml", "Role") };
  const sameSpec = JSON.stringify(role.spec) === JSON.stringify(s.role.spec);
  return { policy, role: sameSpec ? undefined : targetOf(role.source) };
}

/**
 * Replaces documents of a multi-document YAML file (or writes a new file), keeping the other
 * documents and the file's mode; written atomically (temp file, rename).
 */
async function writeDocuments(file: string, replacements: ReadonlyMap<number | undefined, string>): Promise<void> {
  if (replacements.has(undefined)) {
    await writeFileAtomic(file, [...replacements.values()].join("---\n"), 0o644);
    return;
  }
  const source = await readFile(file, "utf8");
  const docs = parseAllDocuments(source);
  const list = Array.isArray(docs) ? docs : [];
  for (const n of replacements.keys()) if (n! > list.length) throw new PolicyToolError("WRITE_REFUSED", `${file} changed since it was read (no document ${n})`);
  // Untouched documents keep their exact text (comments, quoting): the source is cut at document ends.
  let start = 0;
  let out = "";
  list.forEach((d, i) => {
    const end = d.range[2];
    const replacement = replacements.get(i + 1);
    out += replacement === undefined ? source.slice(start, end) : `${i === 0 ? "" : "---\n"}${replacement}`;
    start = end;
  });
  out += source.slice(start);
  const { mode } = await stat(file);
  await writeFileAtomic(file, out, mode & 0o777);
}

/** Writes the Policy and (when it changes) the Role as planned; returns the files written. */
export async function writeSuggestion(plan: { policy: Target; role: Target | undefined }, s: Suggestion, header: readonly string[]): Promise<string[]> {
  const texts = suggestionDocuments(s, header);
  const byFile = new Map<string, Map<number | undefined, string>>();
  const add = (t: Target, text: string) => byFile.set(t.file, (byFile.get(t.file) ?? new Map()).set(t.document, text));
  add(plan.policy, texts.policy);
  if (plan.role) add(plan.role, texts.role);
  for (const [file, replacements] of byFile) await writeDocuments(file, replacements);
  return [...byFile.keys()];
}
