#!/usr/bin/env node
/**
 * `GATEWAY_URL=<gateway public URL> npm run cluster:render [-- --out DIR]`: renders every template
 * of functions/cluster/ into DIR (default build/cluster/, which git ignores) and says which file each
 * route applies. Exit status 2 with one line, `cluster:render: <code>: <message>`, when it refuses
 * (a bad command line, an unusable `--out`, a bad GATEWAY_URL); nothing is written then.
 */
import { existsSync, statSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { checkGatewayUrl, RenderError, renderTemplate } from "./render.js";

// dist/render-cli.js lives two levels below the repository's functions/ folder.
const templateDir = fileURLToPath(new URL("..", import.meta.url));
const repoRoot = resolve(templateDir, "../..");

const USAGE = "usage: GATEWAY_URL=<gateway public URL> npm run cluster:render [-- --out DIR]  (default DIR: build/cluster)\n";

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ options: { out: { type: "string" }, help: { type: "boolean", short: "h" } } });
  } catch (err) {
    throw new RenderError("ERR_USAGE", `${(err as Error).message.replace(/\s*\n\s*/g, " ")} (npm run cluster:render -- --help)`);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const gatewayUrl = checkGatewayUrl(process.env["GATEWAY_URL"]);
  if (values.out === "") throw new RenderError("ERR_USAGE", "--out needs a folder (npm run cluster:render -- --help)");
  const outDir = resolve(values.out ?? join(repoRoot, "build", "cluster"));
  const missing = outDirLevels(outDir);
  const files = (await readdir(templateDir)).filter((name) => name.endsWith(".yaml")).sort();
  // Render everything before writing anything, so a refusal leaves no half-rendered folder behind.
  const rendered = await Promise.all(
    files.map(async (name) => ({ name, text: renderTemplate(`functions/cluster/${name}`, await readFile(join(templateDir, name), "utf8"), { GATEWAY_URL: gatewayUrl }) })),
  );
  try {
    // One level at a time: Node's recursive mkdir never returns where mkdir answers ENOENT under an
    // existing folder (/proc/nope), and a level that cannot be made is named, not retried.
    for (const dir of missing) await mkdir(dir);
    for (const { name, text } of rendered) await writeFile(join(outDir, name), text);
  } catch (err) {
    throw new RenderError("ERR_OUT_DIR", `cannot write to --out ${outDir}: ${describeFsError(err)}`);
  }
  // Said once written, so that a refusal is the one line on stderr.
  process.stderr.write(`cluster:render: rendered ${files.length} templates with GATEWAY_URL=${gatewayUrl}\n`);
  if (gatewayUrl.endsWith("/")) process.stderr.write("cluster:render: note: GATEWAY_URL ends with '/': it must equal iam.systemIssuer.url character for character\n");
  // Paths below the working directory are shown relative to it (as the README writes them), others in full.
  const shown = (name: string): string => {
    const path = join(outDir, name);
    const rel = relative(process.cwd(), path);
    return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
  };
  process.stdout.write(
    [
      `wrote ${rendered.map((r) => shown(r.name)).join(", ")}`,
      "apply ONE token route (functions/cluster/README.md):",
      `  Kyverno 1.17 or later : kubectl apply -f ${shown("kyverno-mutatingpolicy.yaml")}`,
      `  Kyverno 1.12 to 1.16  : kubectl apply -f ${shown("kyverno-clusterpolicy.yaml")}`,
      `  no Kyverno            : kubectl apply -f ${shown("jwtissuer-automounted-token.yaml")}  (chart with iam.kubernetesIssuer.create=false)`,
      "",
    ].join("\n"),
  );
}

/**
 * The levels of `dir` still to make, outermost first; refuses (before anything is written) when the
 * nearest existing level is not a folder.
 */
function outDirLevels(dir: string): string[] {
  const missing: string[] = [];
  let level = dir;
  while (!existsSync(level) && dirname(level) !== level) {
    missing.unshift(level);
    level = dirname(level);
  }
  if (!statSync(level).isDirectory()) throw new RenderError("ERR_OUT_DIR", `cannot write to --out ${dir}: ${level} is not a folder`);
  return missing;
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" ? "this file system does not allow it (ENOENT)" : code === "EACCES" || code === "EPERM" || code === "EROFS" ? `not allowed (${code})` : (code ?? String(err));
}

main().catch((err: unknown) => {
  if (err instanceof RenderError) {
    process.stderr.write(`cluster:render: ${err.code}: ${err.message}\n`);
    process.exit(2);
  }
  // Unexpected (a template folder that cannot be read, a full disk): one line, no stack.
  process.stderr.write(`cluster:render: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
