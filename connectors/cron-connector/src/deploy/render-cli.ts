#!/usr/bin/env node
/**
 * `npm run connector:render -- --gateway-url URL --namespaces dev[,staging] [--invoke ns:fn,...]
 * --image REF [--name cron-connector] [--async] [--rebuild-interval 30s] [--expiration-seconds 7200]
 * [--out DIR]`: writes `<DIR>/<name>.yaml` (default DIR `build/cron-connector/`, which git
 * ignores) with the ServiceAccount, Policy, Role and Deployment of one connector instance, and says
 * how to apply it. `GATEWAY_URL` may stand in for `--gateway-url`. Exit status 2 with one line,
 * `connector:render: <code>: <message>`, when a value or the command line is refused; nothing is
 * written then.
 */
import { existsSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { ConnectorError } from "../errors.js";
import { connectorManifests } from "./manifests.js";

// dist/deploy/render-cli.js is four levels below the repository root.
const repoRoot = resolve(fileURLToPath(new URL("../../../..", import.meta.url)));

const USAGE = `usage: npm run connector:render -- --gateway-url URL --namespaces NS[,NS...] --image REF
         [--invoke NS:FN[,NS:FN...]] [--name cron-connector] [--async] [--rebuild-interval 30s]
         [--expiration-seconds 7200] [--out DIR]
  --gateway-url URL         the gateway's public URL (iam.systemIssuer.url): the audience of the
                            connector's token (or GATEWAY_URL)
  --namespaces NS,...       the namespaces whose functions it schedules: Function:List and
                            Namespace:List on each; repeatable
  --image REF               the connector's container image
  --invoke NS:FN,...        functions with jwt_auth it invokes with a function token: Function:Invoke
                            on each; each must be in one of --namespaces; repeatable
  --name NAME               name of the ServiceAccount, Policy, Role and Deployment (default cron-connector)
  --async                   invoke through /async-function/ (asynchronous_invocation=true)
  --rebuild-interval D      time between two rebuilds of the schedule, a Go duration of at least
                            100ms (rebuild_interval; default 30s)
  --expiration-seconds N    lifetime of the projected token, 600 to 4294967296 (default 7200)
  --out DIR                 where <name>.yaml is written (default build/cron-connector)
  -h, --help                print this help and exit
`;

/** A usage error: one line, naming where the usage is. */
const usage = (message: string): ConnectorError => new ConnectorError("ERR_USAGE", `${message.replace(/\s*\n\s*/g, " ")} (npm run connector:render -- --help)`);

const list = (values: string[] | undefined): string[] => (values ?? []).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        "gateway-url": { type: "string" },
        namespaces: { type: "string", multiple: true },
        invoke: { type: "string", multiple: true },
        image: { type: "string" },
        name: { type: "string" },
        async: { type: "boolean" },
        "rebuild-interval": { type: "string" },
        "expiration-seconds": { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw usage((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const env: Record<string, string> = {};
  if (values.async) env["asynchronous_invocation"] = "true";
  if (values["rebuild-interval"] === "") throw usage("--rebuild-interval needs a duration such as 30s");
  if (values["rebuild-interval"] !== undefined) env["rebuild_interval"] = values["rebuild-interval"];
  const objects = connectorManifests({
    gatewayURL: values["gateway-url"] ?? process.env["GATEWAY_URL"] ?? "",
    namespaces: list(values.namespaces),
    invoke: list(values.invoke),
    image: values.image ?? "",
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(values["expiration-seconds"] !== undefined ? { expirationSeconds: wholeNumber(values["expiration-seconds"], "--expiration-seconds") } : {}),
    env,
  });
  const name = objects[0]!.metadata.name;
  if (values.out === "") throw usage("--out needs a folder");
  const outDir = resolve(values.out ?? join(repoRoot, "build", "cron-connector"));
  const file = join(outDir, `${name}.yaml`);
  const header = `# Rendered by \`npm run connector:render\` (${process.argv.slice(2).join(" ")}): re-render rather than edit.\n`;
  const missing = outDirLevels(outDir);
  try {
    // One level at a time: Node's recursive mkdir never returns where mkdir answers ENOENT under an
    // existing folder (/proc/nope), and a level that cannot be made is named, not retried.
    for (const dir of missing) await mkdir(dir);
    await writeFile(file, header + objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConnectorError("ERR_OUT_DIR", `cannot write to --out ${outDir}: ${code === "ENOENT" ? "this file system does not allow it (ENOENT)" : (code ?? String(error))}`);
  }
  process.stdout.write(`wrote ${file}: ${objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`).join(", ")}\napply it with: kubectl apply -f ${file}\n`);
}

/** `--expiration-seconds`: digits only (`Number` would take 1e99, 0x10 or an empty string). */
function wholeNumber(text: string, flag: string): number {
  if (!/^\d{1,12}$/.test(text)) throw usage(`${flag} takes a whole number of seconds (got ${JSON.stringify(text.slice(0, 40))})`);
  return Number(text);
}

/** The levels of `dir` still to make, outermost first; refuses when the nearest existing one is not a folder. */
function outDirLevels(dir: string): string[] {
  const missing: string[] = [];
  let level = dir;
  while (!existsSync(level) && dirname(level) !== level) {
    missing.unshift(level);
    level = dirname(level);
  }
  if (!statSync(level).isDirectory()) throw new ConnectorError("ERR_OUT_DIR", `cannot write to --out ${dir}: ${level} is not a folder`);
  return missing;
}

main().catch((error: unknown) => {
  if (error instanceof ConnectorError) {
    process.stderr.write(`connector:render: ${error.code}: ${error.message}\n`);
    process.exit(2);
  }
  // Unexpected: one line, no stack.
  process.stderr.write(`connector:render: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
