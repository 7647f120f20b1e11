#!/usr/bin/env node
/**
 * `npm run connector:render -- --gateway-url URL --namespaces dev[,staging] [--invoke ns:fn,...]
 * --image REF [--name cron-connector] [--async] [--rebuild-interval 30s] [--expiration-seconds 7200]
 * [--out DIR]`: writes `<DIR>/<name>.yaml` (default DIR `build/cron-connector/`, which git
 * ignores) with the ServiceAccount, Policy, Role and Deployment of one connector instance, and says
 * how to apply it. `GATEWAY_URL` may stand in for `--gateway-url`. Exit status 2 with
 * `connector:render: <code>: <message>` when a value is refused; nothing is written then.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
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
  --gateway-url   the gateway's public URL (iam.systemIssuer.url): the audience of the connector's token (or GATEWAY_URL)
  --namespaces    the namespaces whose functions it schedules: Function:List and Namespace:List on each
  --invoke        functions with jwt_auth it invokes with a function token: Function:Invoke on each
  --image         the connector's container image
`;

const list = (values: string[] | undefined): string[] => (values ?? []).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);

async function main(): Promise<void> {
  const { values } = parseArgs({
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
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const env: Record<string, string> = {};
  if (values.async) env["asynchronous_invocation"] = "true";
  if (values["rebuild-interval"]) env["rebuild_interval"] = values["rebuild-interval"];
  const objects = connectorManifests({
    gatewayURL: values["gateway-url"] ?? process.env["GATEWAY_URL"] ?? "",
    namespaces: list(values.namespaces),
    invoke: list(values.invoke),
    image: values.image ?? "",
    ...(values.name ? { name: values.name } : {}),
    ...(values["expiration-seconds"] ? { expirationSeconds: Number(values["expiration-seconds"]) } : {}),
    env,
  });
  const name = objects[0]!.metadata.name;
  const outDir = resolve(values.out ?? join(repoRoot, "build", "cron-connector"));
  const file = join(outDir, `${name}.yaml`);
  const header = `# Rendered by \`npm run connector:render\` (${process.argv.slice(2).join(" ")}): re-render rather than edit.\n`;
  await mkdir(outDir, { recursive: true });
  await writeFile(file, header + objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n"));
  process.stdout.write(`wrote ${file}: ${objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`).join(", ")}\napply it with: kubectl apply -f ${file}\n`);
}

main().catch((error: unknown) => {
  if (error instanceof ConnectorError) {
    process.stderr.write(`connector:render: ${error.code}: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  process.stderr.write(`connector:render: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  process.exit(error instanceof TypeError ? 2 : 1);
});
