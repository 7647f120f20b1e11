/**
 * A small Dockerfile reader: enough of the syntax (continuations, comments, stages, JSON/shell forms)
 * for the tests to follow the template's Dockerfile instead of repeating its commands.
 */

/** One instruction, with its keyword upper-cased and its flags (`--from=build`) split off. */
export interface Instruction {
  readonly keyword: string;
  readonly flags: Readonly<Record<string, string>>;
  readonly args: string;
}

/** A `FROM ... AS name` stage and its instructions. */
export interface Stage {
  readonly name: string;
  readonly image: string;
  readonly instructions: readonly Instruction[];
}

/** Splits a Dockerfile into stages. */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (pending === "" && (line.trim() === "" || line.trimStart().startsWith("#"))) continue;
    if (pending !== "" && line.trimStart().startsWith("#")) continue;
    if (line.endsWith("\\")) {
      pending += line.slice(0, -1) + " ";
      continue;
    }
    logical.push((pending + line).trim());
    pending = "";
  }
  const stages: { name: string; image: string; instructions: Instruction[] }[] = [];
  for (const line of logical) {
    const match = /^(\S+)\s*(.*)$/.exec(line);
    if (!match) continue;
    const keyword = (match[1] ?? "").toUpperCase();
    let rest = match[2] ?? "";
    const flags: Record<string, string> = {};
    for (let flag = /^--([\w-]+)=(\S+)\s+/.exec(rest); flag; flag = /^--([\w-]+)=(\S+)\s+/.exec(rest)) {
      flags[flag[1] ?? ""] = flag[2] ?? "";
      rest = rest.slice(flag[0].length);
    }
    if (keyword === "FROM") {
      const [image = "", , name] = rest.split(/\s+/);
      stages.push({ name: name ?? String(stages.length), image, instructions: [] });
      continue;
    }
    const current = stages.at(-1);
    if (!current) throw new Error(`Dockerfile: ${keyword} before FROM`);
    current.instructions.push({ keyword, flags, args: rest });
  }
  return stages;
}

/** `ENV a=b c="d e"` and the legacy `ENV a b` form. */
export function parseEnv(args: string): Record<string, string> {
  const env: Record<string, string> = {};
  if (!/^[\w.-]+=/.test(args)) {
    const [key = "", ...value] = args.split(/\s+/);
    env[key] = value.join(" ");
    return env;
  }
  for (const m of args.matchAll(/([\w.-]+)=("((?:[^"\\]|\\.)*)"|\S*)/g)) {
    env[m[1] ?? ""] = m[3] !== undefined ? m[3].replace(/\\(.)/g, "$1") : (m[2] ?? "");
  }
  return env;
}

/** Sources and destination of a `COPY`, JSON or shell form. */
export function parseCopy(args: string): { sources: string[]; dest: string } {
  const parts = args.trim().startsWith("[") ? (JSON.parse(args) as string[]) : args.trim().split(/\s+/);
  const dest = parts.at(-1);
  if (dest === undefined || parts.length < 2) throw new Error(`Dockerfile: bad COPY ${args}`);
  return { sources: parts.slice(0, -1), dest };
}
