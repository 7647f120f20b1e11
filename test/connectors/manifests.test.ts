/**
 * The cluster manifests: `npm run connector:render` run as the README runs it (no placeholder left,
 * the gateway URL as the token's audience, refusals that write nothing), the scope each instance
 * gets, and the IAM objects against our strict schemas and the sandbox's loader (the reference CRDs
 * are checked in test/conformance/connector-manifests.test.ts).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadManifests } from "@node-ts-iam/sandbox";
import { DEFAULT_TOKEN_MOUNT_PATH, TOKEN_FILE_NAME } from "@node-ts-iam/sdk";
import { connectorManifests, type KubeObject, type ManifestValues } from "../../connectors/cron-connector/src/deploy/manifests.js";
import { ConnectorError } from "../../connectors/cron-connector/src/errors.js";
import { runCommand, type CommandResult } from "../functions/support/command.js";
import { iamSchemas } from "../functions/support/iam-schema.js";
import { validate } from "../functions/support/schema.js";

const GATEWAY_URL = "https://openfaas.acme-corp.io";
const IMAGE = "ghcr.io/acme/cron-connector:0.1.0";
const VALUES: ManifestValues = { gatewayURL: GATEWAY_URL, namespaces: ["openfaas-fn", "dev"], invoke: ["openfaas-fn:preview-janitor"], image: IMAGE };

/** `npm run connector:render -- <args>`, as the README runs it. */
const exec = (args: string[], env: Record<string, string | undefined> = {}): Promise<CommandResult> =>
  runCommand("npm", ["run", "--silent", "connector:render", "--", ...args], env);

const byKind = (objects: KubeObject[], kind: string): KubeObject => objects.find((o) => o.kind === kind)!;
type DeploymentSpec = {
  replicas: number;
  strategy: { type: string };
  template: {
    spec: {
      serviceAccountName: string;
      automountServiceAccountToken: boolean;
      containers: { image: string; env: { name: string; value: string }[]; volumeMounts: { name: string; mountPath: string; readOnly: boolean }[] }[];
      volumes: { name: string; projected: { sources: { serviceAccountToken: { audience: string; expirationSeconds: number; path: string } }[] } }[];
    };
  };
};

describe("npm run connector:render", () => {
  const out = mkdtempSync(join(tmpdir(), "connector-render-"));
  let result: CommandResult;
  beforeAll(async () => {
    result = await exec(["--gateway-url", GATEWAY_URL, "--namespaces", "openfaas-fn,dev", "--invoke", "openfaas-fn:preview-janitor", "--image", IMAGE, "--out", out]);
  }, 60_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("writes one file with the four objects and says how to apply it", () => {
    expect(result.code, result.stderr).toBe(0);
    expect(readdirSync(out)).toEqual(["cron-connector.yaml"]);
    expect(result.stdout).toContain(`kubectl apply -f ${join(out, "cron-connector.yaml")}`);
    const docs = parseAllDocuments(readFileSync(join(out, "cron-connector.yaml"), "utf8"));
    for (const doc of docs) expect(doc.errors).toEqual([]);
    expect(docs.map((d) => (d.toJS() as KubeObject).kind)).toEqual(["ServiceAccount", "Policy", "Role", "Deployment"]);
  });

  it("leaves no placeholder and equals the objects connectorManifests builds", () => {
    const text = readFileSync(join(out, "cron-connector.yaml"), "utf8");
    expect(text).not.toMatch(/\$\{|\$[A-Z_]|example\.(com|org|net)|<[a-z-]+>|TODO|CHANGEME/i);
    expect(parseAllDocuments(text).map((d) => d.toJS())).toEqual(connectorManifests(VALUES));
  });

  it.each([
    ["no gateway URL", ["--namespaces", "dev", "--image", IMAGE], "gatewayURL"],
    ["the chart's placeholder URL", ["--gateway-url", "https://gateway.example.com", "--namespaces", "dev", "--image", IMAGE], "documentation placeholder"],
    ["no namespace", ["--gateway-url", GATEWAY_URL, "--image", IMAGE], "namespaces: name at least one"],
    ["no image", ["--gateway-url", GATEWAY_URL, "--namespaces", "dev"], "image"],
    ["a bad function reference", ["--gateway-url", GATEWAY_URL, "--namespaces", "dev", "--image", IMAGE, "--invoke", "preview-janitor"], "must be <namespace>:<function>"],
  ])("refuses %s with exit status 2 and writes nothing", async (_label, args, message) => {
    const empty = mkdtempSync(join(tmpdir(), "connector-render-refused-"));
    try {
      const refused = await exec([...args, "--out", join(empty, "out")], { GATEWAY_URL: undefined });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("connector:render: ERR_MANIFEST_VALUE:");
      expect(refused.stderr).toContain(message);
      expect(readdirSync(empty)).toEqual([]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("connectorManifests", () => {
  const objects = connectorManifests(VALUES);

  it("a Role that binds exactly the connector's service account, from the cluster issuer, to its own Policy", () => {
    expect(byKind(objects, "Role").spec).toEqual({
      policy: ["cron-connector"],
      principal: { "jwt:sub": ["system:serviceaccount:openfaas:cron-connector"] },
      condition: { StringEqual: { "jwt:iss": ["https://kubernetes.default.svc.cluster.local"] } },
    });
  });

  it("a Policy: Function:List and Namespace:List on the namespaces it serves, Function:Invoke only on the functions named", () => {
    expect(byKind(objects, "Policy").spec).toEqual({
      statement: [
        { sid: "list-scheduled-functions", effect: "Allow", action: ["Function:List", "Namespace:List"], resource: ["openfaas-fn:*", "dev:*"] },
        { sid: "invoke-with-function-token", effect: "Allow", action: ["Function:Invoke"], resource: ["openfaas-fn:preview-janitor"] },
      ],
    });
    const staging = connectorManifests({ gatewayURL: GATEWAY_URL, namespaces: ["staging"], image: IMAGE, name: "cron-connector-staging" });
    expect(byKind(staging, "Policy").spec).toEqual({
      statement: [{ sid: "list-scheduled-functions", effect: "Allow", action: ["Function:List", "Namespace:List"], resource: ["staging:*"] }],
    });
    expect((byKind(staging, "Role").spec as { principal: unknown }).principal).toEqual({ "jwt:sub": ["system:serviceaccount:openfaas:cron-connector-staging"] });
  });

  it("a Deployment: one replica replaced (never two at once), its own service account, the projected token where the SDK reads it, audience = the gateway URL", () => {
    const spec = byKind(objects, "Deployment").spec as DeploymentSpec;
    expect([spec.replicas, spec.strategy.type]).toEqual([1, "Recreate"]);
    const pod = spec.template.spec;
    expect([pod.serviceAccountName, pod.automountServiceAccountToken]).toEqual(["cron-connector", false]);
    expect(pod.volumes).toEqual([{ name: "openfaas-token", projected: { sources: [{ serviceAccountToken: { audience: GATEWAY_URL, expirationSeconds: 7200, path: TOKEN_FILE_NAME } }] } }]);
    const [container] = pod.containers;
    expect(container!.image).toBe(IMAGE);
    expect(container!.volumeMounts).toEqual([{ name: "openfaas-token", mountPath: DEFAULT_TOKEN_MOUNT_PATH, readOnly: true }]);
    expect(container!.env).toEqual([
      { name: "gateway_url", value: "http://gateway.openfaas:8080" },
      { name: "token_mount_path", value: DEFAULT_TOKEN_MOUNT_PATH },
    ]);
    expect(byKind(objects, "ServiceAccount")["automountServiceAccountToken"]).toBe(false);
  });

  it("the IAM objects pass our strict schemas and load in the sandbox (which skips the Deployment)", async () => {
    for (const kind of ["Policy", "Role"]) expect(validate(iamSchemas[kind]!, byKind(objects, kind)), kind).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), "connector-iam-"));
    try {
      const { writeFileSync } = await import("node:fs");
      const { stringify } = await import("yaml");
      writeFileSync(join(dir, "connector.yaml"), objects.map((o) => stringify(o)).join("---\n"));
      const warnings: string[] = [];
      const loaded = await loadManifests([dir], (line) => warnings.push(line));
      expect([loaded.policies.length, loaded.roles.length, loaded.serviceAccounts.length]).toEqual([1, 1, 1]);
      expect(warnings).toEqual([expect.stringMatching(/Deployment/)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each<[string, Partial<ManifestValues>, string]>([
    ["an http URL with a query", { gatewayURL: "https://gw.acme-corp.io/?x=1" }, "gatewayURL"],
    ["a name that is not a label", { name: "Cron_Connector" }, "name:"],
    ["a namespace that is not a label", { namespaces: ["dev", "Prod"] }, "namespaces:"],
    ["too short a token lifetime", { expirationSeconds: 300 }, "from 600 to 4294967296"],
    ["a token lifetime past 2^32 s", { expirationSeconds: 1e99 }, "from 600 to 4294967296"],
    ["a function outside the namespaces it serves", { invoke: ["staging:job"] }, "invoke: staging:job is in namespace staging, which namespaces does not list"],
    ["a rebuild_interval the connector would refuse", { env: { rebuild_interval: "abc" } }, 'env: rebuild_interval "abc" is not a duration'],
    ["an image with a placeholder", { image: "${REGISTRY}/cron:1" }, "image"],
    ["an env variable the manifests own", { env: { gateway_url: "http://evil:8080" } }, "env: gateway_url"],
  ])("refuses %s", (_label, change, message) => {
    expect(() => connectorManifests({ ...VALUES, ...change })).toThrow(ConnectorError);
    expect(() => connectorManifests({ ...VALUES, ...change })).toThrow(message);
  });
});
