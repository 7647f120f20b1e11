/**
 * What a sample function of this repository must have, each rule with the file a contributor edits
 * (functions/README.md, "Adding a sample"). The tests that go over every sample fail with these
 * lines, so that adding a folder to `functions/` and an entry to `stack.yml` either needs nothing more
 * or says which file is missing what.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { readManifests, readStack, repoRoot } from "./repo.js";

/** What a sample's stack entry holds (faas-cli's stack format). */
interface StackEntry {
  lang?: string;
  handler?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const TOKEN_LABEL = "openfaas-iam/token";
const SA_ANNOTATION = "com.openfaas.serviceaccount";

/** The rules `name` breaks, one line each, naming the file to edit; empty when it is a complete sample. */
export function sampleProblems(name: string, root = repoRoot): string[] {
  const problems: string[] = [];
  const folder = join("functions", name);
  const fn = ((readStack({}, join(root, "stack.yml")).stack["functions"] ?? {}) as Record<string, StackEntry>)[name];
  if (!fn) {
    problems.push(`stack.yml: add functions.${name} (copy a sample's entry: lang node-ts-iam, handler ./${folder}, namespace openfaas-fn, the ${TOKEN_LABEL} label, the ${SA_ANNOTATION} annotation)`);
  } else {
    if (fn.lang !== "node-ts-iam") problems.push(`stack.yml: functions.${name}.lang must be node-ts-iam`);
    if (fn.handler !== `./${folder}`) problems.push(`stack.yml: functions.${name}.handler must be ./${folder}`);
    if (fn.namespace !== "openfaas-fn") problems.push(`stack.yml: functions.${name}.namespace must be openfaas-fn (the cluster's token policies cover that namespace)`);
    if (fn.labels?.[TOKEN_LABEL] !== "true") problems.push(`stack.yml: functions.${name}.labels needs ${TOKEN_LABEL}: "true" (it gets the gateway-audience token)`);
    if (!fn.annotations?.[SA_ANNOTATION]) problems.push(`stack.yml: functions.${name}.annotations needs ${SA_ANNOTATION}: <its own service account>`);
  }
  if (!existsSync(join(root, folder, "handler.ts"))) problems.push(`${folder}/handler.ts: missing (a sample is a TypeScript handler that calls serveApi)`);
  const iam = join(root, folder, "iam");
  const kinds = existsSync(iam) ? readManifests(iam).map((m) => m.kind).sort() : [];
  if (kinds.join() !== "Policy,Role,ServiceAccount") {
    problems.push(`${folder}/iam/: needs exactly one ServiceAccount (openfaas-fn/<its service account>), one Policy and one Role binding them (has ${kinds.join(", ") || "nothing"})`);
  }
  const tests = join(root, folder, "test");
  if (!existsSync(tests) || !readdirSync(tests).some((f) => f.endsWith(".test.ts"))) problems.push(`${folder}/test/: add its unit tests (*.test.ts, node:test)`);
  const pkg = existsSync(join(root, folder, "package.json")) ? (JSON.parse(readFileSync(join(root, folder, "package.json"), "utf8")) as { scripts?: { test?: string } }) : undefined;
  if (!pkg?.scripts?.test?.includes("node --test dist/test/")) problems.push(`${folder}/package.json: scripts.test must be "tsc -p . && node --test dist/test/*.test.js" (the image build runs it)`);
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { workspaces: string[] };
  if (!manifest.workspaces.includes(folder)) problems.push(`package.json: add "${folder}" to workspaces`);
  const references = (JSON.parse(readFileSync(join(root, "tsconfig.json"), "utf8")) as { references: { path: string }[] }).references.map((r) => r.path);
  if (!references.includes(folder)) problems.push(`tsconfig.json: add { "path": "${folder}" } to references (npm run build compiles it)`);
  const policies = existsSync(iam) ? readManifests(iam).filter((m) => m.kind === "Policy").map((m) => m.metadata.name) : [];
  const check = parse(readFileSync(join(root, "test/policy/samples.check.yaml"), "utf8")) as { policies?: { name: string }[]; unchecked?: { name: string }[] };
  const listed = new Set([...(check.policies ?? []), ...(check.unchecked ?? [])].map((p) => p.name));
  for (const policy of policies) if (!listed.has(policy)) problems.push(`test/policy/samples.check.yaml: list Policy ${policy} under policies (and its e2e test's refusals under expectDenied)`);
  return problems;
}

/** The message of a failed per-sample assertion: what the test found, then every rule the sample breaks. */
export function sampleHint(name: string, found: string): string {
  const problems = sampleProblems(name);
  return problems.length === 0 ? found : `${found}\n${name} is not a complete sample:\n- ${problems.join("\n- ")}`;
}
