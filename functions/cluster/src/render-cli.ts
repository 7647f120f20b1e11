#!/usr/bin/env node
/**
 * `GATEWAY_URL=<gateway public URL> npm run cluster:render [-- --out DIR]`: renders every template
 * of functions/cluster/ into DIR (default build/cluster/, which git ignores) and says which file each
 * route applies. Exit status 2 with `cluster:render: <code>: <message>` when it refuses.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { checkGatewayUrl, RenderError, renderTemplate } from "./render.js";

// dist/render-cli.js lives two levels below the repository's functions/ folder.
const templateDir = fileURLToPath(new URL("..", import.meta.url));
const repoRoot = resolve(templateDir, "../..");

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: "string" }, help: { type: "boolean", short: "h" } } });
  if (values.help) {
    process.stdout.write("usage: GATEWAY_URL=<gateway public URL> npm run cluster:render [-- --out DIR]  (default DIR: build/cluster)\n");
    return;
  }
  const gatewayUrl = checkGatewayUrl(process.env["GATEWAY_URL"]);
  const outDir = resolve(values.out ?? join(repoRoot, "build", "cluster"));
  const files = (await readdir(templateDir)).filter((name) => name.endsWith(".yaml")).sort();
  process.stderr.write(`cluster:render: rendering ${files.length} templates with GATEWAY_URL=${gatewayUrl}\n`);
  // Render everything before writing anything, so a refusal leaves no half-rendered folder behind.
  const rendered = await Promise.all(
    files.map(async (name) => ({ name, text: renderTemplate(`functions/cluster/${name}`, await readFile(join(templateDir, name), "utf8"), { GATEWAY_URL: gatewayUrl }) })),
  );
  if (gatewayUrl.endsWith("/")) process.stderr.write("cluster:render: note: GATEWAY_URL ends with '/': it must equal iam.systemIssuer.url character for character\n");
  await mkdir(outDir, { recursive: true });
  for (const { name, text } of rendered) await writeFile(join(outDir, name), text);
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

main().catch((err: unknown) => {
  if (err instanceof RenderError) {
    process.stderr.write(`cluster:render: ${err.code}: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`cluster:render: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
