import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sampleHint } from "./support/conventions.js";
import { functionNames, readManifests, readStack, repoRoot, substitute } from "./support/repo.js";
import { validate } from "./support/schema.js";
import { stackSchema } from "./support/stack-schema.js";

const TOKEN_LABEL = "openfaas-iam/token";
const SA_ANNOTATION = "com.openfaas.serviceaccount";

interface StackFunction {
  lang: string;
  handler: string;
  image: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  environment?: Record<string, string>;
}

describe("stack.yml", () => {
  const { stack, versionSource } = readStack();
  const functions = stack["functions"] as Record<string, StackFunction>;

  it("is valid against faas-cli's stack schema, with version 1.0", () => {
    expect(validate(stackSchema, { ...stack, version: versionSource })).toEqual([]);
    expect(versionSource).toBe("1.0");
  });

  it("takes the gateway from OPENFAAS_URL, defaulting to the local sandbox", () => {
    expect((stack["provider"] as { gateway: string }).gateway).toBe("http://127.0.0.1:8080");
    const custom = readStack({ OPENFAAS_URL: "https://gw.example.com" }).stack;
    expect((custom["provider"] as { gateway: string }).gateway).toBe("https://gw.example.com");
    expect(readFileSync(join(repoRoot, "stack.yml"), "utf8")).toContain("gateway: ${OPENFAAS_URL:-http://127.0.0.1:8080}");
  });

  it("lets faas-cli pull the node-ts-iam template from a git URL that exists: this clone through git daemon, or the fork named by the variable", () => {
    const sources = (env: Record<string, string>) => (readStack(env).stack["configuration"] as { templates: { name: string; source: string }[] }).templates;
    expect(sources({})).toEqual([{ name: "node-ts-iam", source: "git://127.0.0.1/node-ts-iam" }]);
    expect(sources({ NODE_TS_IAM_TEMPLATE_SOURCE: "https://git.example.com/you/node-ts-iam.git#v0.1.0" })[0]!.source).toBe("https://git.example.com/you/node-ts-iam.git#v0.1.0");
    expect(existsSync(join(repoRoot, "template", "node-ts-iam"))).toBe(true);
    // No placeholder host or owner anywhere a user copies a template URL from.
    for (const doc of ["README.md", "template/node-ts-iam/README.md", "stack.yml", "functions/README.md", "sandbox/README.md"]) {
      expect(readFileSync(join(repoRoot, doc), "utf8"), doc).not.toMatch(/<owner>|github\.com\/node-ts-iam\//);
    }
  });

  it("deploys every sample function with its handler, identity and token label", () => {
    expect(Object.keys(functions).sort()).toEqual(functionNames());
    for (const [name, fn] of Object.entries(functions)) {
      expect(fn.lang, sampleHint(name, "lang")).toBe("node-ts-iam");
      expect(fn.handler, sampleHint(name, "handler")).toBe(`./functions/${name}`);
      expect(existsSync(join(repoRoot, fn.handler, "handler.ts")), sampleHint(name, "handler.ts")).toBe(true);
      expect(fn.labels?.[TOKEN_LABEL], sampleHint(name, `label ${TOKEN_LABEL}`)).toBe("true");
      const serviceAccount = fn.annotations?.[SA_ANNOTATION];
      expect(serviceAccount, sampleHint(name, `annotation ${SA_ANNOTATION}`)).toBeTruthy();
      const iam = join(repoRoot, "functions", name, "iam");
      const accounts = (existsSync(iam) ? readManifests(iam) : []).filter((m) => m.kind === "ServiceAccount");
      expect(accounts.map((a) => `${a.metadata.namespace}/${a.metadata.name}`), sampleHint(name, "its ServiceAccount")).toEqual([`${fn.namespace}/${serviceAccount}`]);
    }
  });

  it("configures each function only for namespaces its IAM policy covers", () => {
    const covers = (fn: string, namespace: string): boolean => {
      const policy = readManifests(join(repoRoot, "functions", fn, "iam")).find((m) => m.kind === "Policy")!;
      const resources = (policy.spec as { statement: { resource: string[] }[] }).statement.flatMap((st) => st.resource);
      // A resource is `*`, `<ns>:*` or `<ns>:<fn>`, `*` standing for any run of characters and the
      // whole resource matched (https://docs.openfaas.com/openfaas-pro/iam/overview/, "Resource scope").
      return resources.some((r) => new RegExp(`^${r.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(`${namespace}:*`));
    };
    const list = (value: string | undefined): string[] => (value ?? "").split(/[\s,]+/).filter(Boolean);
    const nsAdmin = list(functions["ns-admin"]!.environment?.["ALLOWED_NAMESPACES"]);
    expect(nsAdmin.length).toBeGreaterThan(0);
    for (const entry of nsAdmin) expect(covers("ns-admin", entry.endsWith("*") ? `${entry.slice(0, -1)}x` : entry), entry).toBe(true);
    const janitor = list(functions["preview-janitor"]!.environment?.["JANITOR_NAMESPACES"]);
    expect(janitor.length).toBeGreaterThan(0);
    for (const ns of janitor) expect(covers("preview-janitor", ns), ns).toBe(true);
    expect(covers("tenant-provisioner", "tenant-acme")).toBe(true);
    expect(covers("tenant-provisioner", "dev")).toBe(false);
    expect(covers("ns-admin", "staging")).toBe(false);
  });

  it("schedules the janitor through the cron-connector", () => {
    const janitor = functions["preview-janitor"]!;
    expect(janitor.annotations?.["topic"]).toBe("cron-function");
    expect(janitor.annotations?.["schedule"]).toMatch(/^(\S+\s+){4}\S+$/);
  });

  it("is caught by the schema when a key is misspelt or the provider is wrong", () => {
    const broken = structuredClone(stack) as { provider: { name: string }; functions: Record<string, Record<string, unknown>> };
    broken.provider.name = "faasd";
    broken.functions["ns-admin"]!["enviroment"] = {};
    const errors = validate(stackSchema, { ...broken, version: "1.1" });
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining("$.provider.name"),
        expect.stringContaining("enviroment: unknown field"),
        expect.stringContaining("$.version"),
      ]),
    );
  });

  it("substitutes ${VAR:-default} like faas-cli", () => {
    expect(substitute("${A:-x}/${B}/${C:-y}", { A: "a", C: "" })).toBe("a//y");
  });
});
