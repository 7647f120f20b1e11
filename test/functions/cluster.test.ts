/**
 * The real-cluster path (functions/cluster/): `npm run cluster:render` run as the README runs it with
 * a real gateway URL (no placeholder left, the URL in every audience, refusals that write nothing),
 * the render rules one by one, and what the token policies and the JwtIssuer variant promise: the
 * token where the SDK reads it, on the pods stack.yml labels, in openfaas-fn only, at creation only.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadManifests } from "@node-ts-iam/sandbox";
import { DEFAULT_TOKEN_MOUNT_PATH, TOKEN_FILE_NAME } from "@node-ts-iam/sdk";
import { checkGatewayUrl, RenderError, renderTemplate, type RenderErrorCode } from "../../functions/cluster/src/render.js";
import { planTenant } from "../../functions/tenant-provisioner/dist/src/tenant.js";
import { runCommand as exec, type CommandResult } from "./support/command.js";
import { sampleHint } from "./support/conventions.js";
import { functionNames, readManifests, readStack, repoRoot, type Manifest } from "./support/repo.js";

const clusterDir = join(repoRoot, "functions", "cluster");
const CLUSTER_ISSUER = "https://kubernetes.default.svc.cluster.local";
const GATEWAY_URL = "https://openfaas.acme-corp.io";
const TOKEN_LABEL = { "openfaas-iam/token": "true" };
const templateNames = readdirSync(clusterDir).filter((f) => f.endsWith(".yaml")).sort();

describe("npm run cluster:render", () => {
  const out = mkdtempSync(join(tmpdir(), "cluster-render-"));
  let result: CommandResult;

  beforeAll(async () => {
    // The README's command, unchanged but for the output folder: builds the tool, then renders.
    result = await exec("npm", ["run", "--silent", "cluster:render", "--", "--out", out], { GATEWAY_URL });
  }, 60_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("renders every template and names the file each route applies", () => {
    expect(result.stderr).toContain(`rendered ${templateNames.length} templates with GATEWAY_URL=${GATEWAY_URL}`);
    expect(result.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(templateNames);
    for (const name of ["kyverno-mutatingpolicy.yaml", "kyverno-clusterpolicy.yaml", "jwtissuer-automounted-token.yaml"]) {
      expect(result.stdout).toContain(`kubectl apply -f ${join(out, name)}`);
    }
  });

  it("leaves no placeholder: no ${...}, no example.com, no template marker; every file is YAML", () => {
    for (const name of templateNames) {
      const text = readFileSync(join(out, name), "utf8");
      expect(text, name).not.toMatch(/\$\{|\$[A-Z_]/);
      expect(text, name).not.toMatch(/example\.(com|org|net)/);
      expect(text, name).not.toContain("# TEMPLATE:");
      expect(text, name).toContain(`# Rendered from functions/cluster/${name} by \`npm run cluster:render\` (GATEWAY_URL=${GATEWAY_URL})`);
      for (const doc of parseAllDocuments(text)) expect(doc.errors, name).toEqual([]);
    }
  });

  it("puts the gateway URL in every audience: both Kyverno policies and the JwtIssuer", () => {
    const rendered = readManifests(out);
    const cluster = rendered.find((m) => m.kind === "ClusterPolicy")!;
    expect(clusterPolicyToken(cluster).volume.projected.sources[0]!.serviceAccountToken.audience).toBe(GATEWAY_URL);
    const mutating = rendered.find((m) => m.kind === "MutatingPolicy")!;
    expect(mutatingPolicyCel(mutating).jsonPatch).toContain(`audience: "${GATEWAY_URL}"`);
    const issuer = rendered.find((m) => m.kind === "JwtIssuer")!;
    expect((issuer.spec as { aud: string[] }).aud).toEqual([GATEWAY_URL, CLUSTER_ISSUER]);
  });

  it.each([
    ["unset", undefined, "ERR_GATEWAY_URL_MISSING"],
    ["the chart's placeholder", "https://gateway.example.com", "ERR_GATEWAY_URL_PLACEHOLDER"],
    ["a value that would break the CEL string", 'https://gw.acme-corp.io/"+x+"', "ERR_GATEWAY_URL_INVALID"],
  ])("refuses GATEWAY_URL %s with exit status 2 and writes nothing", async (_label, value, code) => {
    const empty = mkdtempSync(join(tmpdir(), "cluster-render-refused-"));
    try {
      const refused = await exec(process.execPath, [join(clusterDir, "dist", "render-cli.js"), "--out", join(empty, "out")], { GATEWAY_URL: value });
      expect(refused.stderr).toContain(`cluster:render: ${code}: GATEWAY_URL`);
      expect(refused.code).toBe(2);
      expect(readdirSync(empty)).toEqual([]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("render rules", () => {
  const refusal = (value: string | undefined): RenderErrorCode | undefined => {
    try {
      checkGatewayUrl(value);
      return undefined;
    } catch (err) {
      if (err instanceof RenderError) return err.code;
      throw err;
    }
  };

  it.each(["https://openfaas.acme-corp.io", "https://gw.acme-corp.io:8443", "https://acme-corp.io/openfaas", "http://10.20.0.5:8080", "https://GW.Acme-Corp.io"])(
    "takes %s unchanged (audiences are compared character for character)",
    (value) => {
      expect(checkGatewayUrl(value)).toBe(value);
    },
  );

  it.each<[string | undefined, RenderErrorCode]>([
    [undefined, "ERR_GATEWAY_URL_MISSING"],
    ["", "ERR_GATEWAY_URL_MISSING"],
    ["   ", "ERR_GATEWAY_URL_MISSING"],
    ["openfaas.acme-corp.io", "ERR_GATEWAY_URL_INVALID"],
    ["ftp://openfaas.acme-corp.io", "ERR_GATEWAY_URL_INVALID"],
    ["https:openfaas.acme-corp.io", "ERR_GATEWAY_URL_INVALID"],
    ["https://openfaas.acme-corp.io/?tenant=a", "ERR_GATEWAY_URL_INVALID"],
    ["https://openfaas.acme-corp.io/#top", "ERR_GATEWAY_URL_INVALID"],
    ["https://admin:pw@openfaas.acme-corp.io", "ERR_GATEWAY_URL_INVALID"],
    ["https://openfaas.acme-corp.io/a b", "ERR_GATEWAY_URL_INVALID"],
    ["https://openfaas.acme-corp.io/'", "ERR_GATEWAY_URL_INVALID"],
    ["https://openfaas.acme-corp.io\n  evil: true", "ERR_GATEWAY_URL_INVALID"],
    [`https://openfaas.acme-corp.io/${"a".repeat(2100)}`, "ERR_GATEWAY_URL_INVALID"],
    ["https://gateway.example.com", "ERR_GATEWAY_URL_PLACEHOLDER"],
    ["https://example.org", "ERR_GATEWAY_URL_PLACEHOLDER"],
    ["https://gw.example", "ERR_GATEWAY_URL_PLACEHOLDER"],
  ])("refuses %j with %s", (value, code) => {
    expect(refusal(value)).toBe(code);
  });

  it("a refusal shows a long value cut short", () => {
    const long = `https://openfaas.acme-corp.io/${"a".repeat(2100)}`;
    try {
      checkGatewayUrl(long);
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message.length).toBeLessThan(200);
    }
  });

  it("refuses a variable it has no value for, naming file and line", () => {
    expect(() => renderTemplate("x.yaml", "# TEMPLATE: t\na: ${GATEWAY_URL}\nb: ${GATEWAY_PORT}\n", { GATEWAY_URL })).toThrow(
      expect.objectContaining({ code: "ERR_TEMPLATE_VARIABLE", message: expect.stringContaining("x.yaml:3: ${GATEWAY_PORT}") }),
    );
  });

  it("refuses a result that is not YAML", () => {
    expect(() => renderTemplate("x.yaml", "a: [${GATEWAY_URL}\n", { GATEWAY_URL })).toThrow(expect.objectContaining({ code: "ERR_TEMPLATE_YAML" }));
  });

  it("replaces the template marker with where the copy came from, or adds that line when there is none", () => {
    expect(renderTemplate("x.yaml", "# TEMPLATE: do not apply\na: ${GATEWAY_URL}\n", { GATEWAY_URL }).split("\n").slice(0, 2)).toEqual([
      `# Rendered from x.yaml by \`npm run cluster:render\` (GATEWAY_URL=${GATEWAY_URL}): re-render rather than edit.`,
      `a: ${GATEWAY_URL}`,
    ]);
    expect(renderTemplate("y.yaml", "a: 1\n", { GATEWAY_URL })).toMatch(/^# Rendered from y\.yaml .*\na: 1\n$/);
  });

  it("the templates use $ only as ${GATEWAY_URL} (so envsubst '$GATEWAY_URL' renders them the same way) and each carries one marker", () => {
    for (const name of templateNames) {
      const text = readFileSync(join(clusterDir, name), "utf8");
      expect(text.match(/\$(\{[^}]*\}|[A-Za-z_]*)/g)?.filter((m) => m !== "${GATEWAY_URL}") ?? [], name).toEqual([]);
      expect(text.match(/^# TEMPLATE:/gm), name).toHaveLength(1);
    }
  });
});

// ---- the token policies and the JwtIssuer variant, as shipped ----

interface TokenVolume {
  name: string;
  projected: { sources: { serviceAccountToken: { audience: string; expirationSeconds: number; path: string } }[] };
}
interface ClusterPolicyRule {
  match: { any: { resources: { kinds: string[]; operations: string[]; namespaces: string[]; selector: { matchLabels: Record<string, string> } } }[] };
  mutate: { patchStrategicMerge: { spec: { volumes: TokenVolume[]; containers: ({ "(name)": string; volumeMounts: Record<string, unknown>[] })[] } } };
}
interface MutatingPolicySpec {
  failurePolicy: string;
  matchConstraints: {
    resourceRules: { apiGroups: string[]; apiVersions: string[]; operations: string[]; resources: string[] }[];
    namespaceSelector: { matchLabels: Record<string, string> };
    objectSelector: { matchLabels: Record<string, string> };
  };
  matchConditions: { name: string; expression: string }[];
  mutations: { patchType: string; jsonPatch?: { expression: string }; applyConfiguration?: { expression: string } }[];
}

function clusterPolicyToken(m: Manifest): { rule: ClusterPolicyRule; volume: TokenVolume } {
  const rules = (m.spec as { rules: ClusterPolicyRule[] }).rules;
  expect(rules).toHaveLength(1);
  const rule = rules[0]!;
  const [volume] = rule.mutate.patchStrategicMerge.spec.volumes;
  return { rule, volume: volume! };
}

function mutatingPolicyCel(m: Manifest): { spec: MutatingPolicySpec; jsonPatch: string; applyConfiguration: string } {
  const spec = m.spec as unknown as MutatingPolicySpec;
  expect(spec.mutations.map((x) => x.patchType)).toEqual(["JSONPatch", "ApplyConfiguration"]);
  return { spec, jsonPatch: spec.mutations[0]!.jsonPatch!.expression, applyConfiguration: spec.mutations[1]!.applyConfiguration!.expression };
}

/** Brackets and quotes of a CEL expression pair up (a cheap guard against an editing slip: the CEL itself only runs in Kyverno). */
function unbalanced(cel: string): string | undefined {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  for (let i = 0; i < cel.length; i++) {
    const c = cel[i]!;
    if (c === '"' || c === "'") {
      const end = cel.indexOf(c, i + 1);
      if (end < 0) return `unterminated ${c} at ${i}`;
      i = end;
    } else if ("([{".includes(c)) stack.push(c);
    else if (c in pairs && stack.pop() !== pairs[c]) return `unmatched ${c} at ${i}`;
  }
  return stack.length > 0 ? `unclosed ${stack.join("")}` : undefined;
}

describe("the token policies (functions/cluster)", () => {
  const cluster = readManifests(clusterDir);
  const clusterPolicy = cluster.find((m) => m.kind === "ClusterPolicy")!;
  const mutatingPolicy = cluster.find((m) => m.kind === "MutatingPolicy")!;
  const { stack } = readStack();
  const stackFunctions = stack["functions"] as Record<string, { namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }>;

  it("the ClusterPolicy mounts a gateway-audience token where the SDK reads it, on labelled pods of openfaas-fn, at creation only", () => {
    const { rule, volume } = clusterPolicyToken(clusterPolicy);
    expect(rule.match.any).toHaveLength(1);
    expect(rule.match.any[0]!.resources).toEqual({ kinds: ["Pod"], operations: ["CREATE"], namespaces: ["openfaas-fn"], selector: { matchLabels: TOKEN_LABEL } });
    expect(volume).toEqual({ name: "openfaas-token", projected: { sources: [{ serviceAccountToken: { audience: "${GATEWAY_URL}", expirationSeconds: 3600, path: TOKEN_FILE_NAME } }] } });
    expect(rule.mutate.patchStrategicMerge.spec.containers).toEqual([
      { "(name)": "*", volumeMounts: [{ name: volume.name, mountPath: DEFAULT_TOKEN_MOUNT_PATH, readOnly: true }] },
    ]);
    expect((clusterPolicy.metadata["annotations"] as Record<string, string>)["pod-policies.kyverno.io/autogen-controllers"]).toBe("none");
  });

  it("the MutatingPolicy does the same: same pods, same volume, same mount, CREATE only, never twice", () => {
    const { spec, jsonPatch, applyConfiguration } = mutatingPolicyCel(mutatingPolicy);
    expect(spec.matchConstraints).toEqual({
      resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }],
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "openfaas-fn" } },
      objectSelector: { matchLabels: TOKEN_LABEL },
    });
    expect(spec.failurePolicy).toBe("Fail");
    expect(spec.matchConditions.map((c) => c.expression)).toEqual(["!has(object.spec.volumes) || !object.spec.volumes.exists(v, v.name == 'openfaas-token')"]);
    // The volume: by JSON patch, creating spec.volumes when the pod has none.
    expect(jsonPatch).toContain('path: "/spec/volumes/-"');
    expect(jsonPatch).toMatch(/has\(object\.spec\.volumes\) \? \[\] : \[JSONPatch\{op: "add", path: "\/spec\/volumes", value: \[\]\}\]/);
    const { volume } = clusterPolicyToken(clusterPolicy);
    const token = volume.projected.sources[0]!.serviceAccountToken;
    expect(jsonPatch).toContain(`name: "${volume.name}"`);
    expect(jsonPatch).toContain(`audience: "${token.audience}"`);
    expect(jsonPatch).toContain(`expirationSeconds: ${token.expirationSeconds},`);
    expect(jsonPatch).toContain(`path: "${token.path}"`);
    // The mount: on every container, merged by name.
    expect(applyConfiguration).toContain("containers: object.spec.containers.map(c, Object.spec.containers{");
    expect(applyConfiguration).toContain("name: c.name,");
    expect(applyConfiguration).toMatch(new RegExp(`name: "${volume.name}",\\s+mountPath: "${DEFAULT_TOKEN_MOUNT_PATH}",\\s+readOnly: true`));
    for (const cel of [jsonPatch, applyConfiguration, ...spec.matchConditions.map((c) => c.expression)]) expect(unbalanced(cel)).toBeUndefined();
  });

  it("the CEL guard itself finds an unbalanced expression", () => {
    expect(unbalanced('Object{spec: Object.spec{a: [1, 2]}')).toBe("unclosed {");
    expect(unbalanced('[JSONPatch{path: "/x}]')).toMatch(/^unterminated "/);
    expect(unbalanced("f(a])")).toBe("unmatched ] at 3");
  });

  it("every stack.yml function that asks for a token runs in openfaas-fn as its own service account, which functions/<name>/iam ships", () => {
    const labelled = Object.entries(stackFunctions).filter(([, fn]) => fn.labels?.["openfaas-iam/token"] === "true");
    for (const name of functionNames()) expect(stackFunctions[name]?.labels?.["openfaas-iam/token"], sampleHint(name, `${name} asks for no token`)).toBe("true");
    expect(labelled.map(([name]) => name).sort()).toEqual(functionNames());
    for (const [name, fn] of labelled) {
      expect(fn.namespace, name).toBe("openfaas-fn");
      const account = fn.annotations?.["com.openfaas.serviceaccount"];
      const shipped = readManifests(join(repoRoot, "functions", name, "iam")).filter((m) => m.kind === "ServiceAccount");
      expect(shipped.map((m) => `${m.metadata.namespace}/${m.metadata.name}`), name).toEqual([`openfaas-fn/${account}`]);
    }
  });

  it("functions tenant-provisioner creates get no token, as the cluster README says: not labelled, and tenant-* is outside the policies' namespace", () => {
    const plan = planTenant({ name: "acme", labels: { "openfaas-iam/token": "true" } } as never, {
      starterFunctions: [{ name: "hello", image: "ghcr.io/openfaas/nodeinfo:latest" }],
      secretNames: [],
    });
    expect(plan.functions.map((f) => f.labels?.["openfaas-iam/token"])).toEqual([undefined]);
    expect(clusterPolicyToken(clusterPolicy).rule.match.any[0]!.resources.namespaces).not.toContain(plan.namespace);
    expect(mutatingPolicyCel(mutatingPolicy).spec.matchConstraints.namespaceSelector.matchLabels["kubernetes.io/metadata.name"]).not.toBe(plan.namespace);
    expect(readFileSync(join(clusterDir, "README.md"), "utf8")).toMatch(/tenant-\*.*no token/s);
  });

  it("the JwtIssuer variant has a name of its own, accepts the gateway and the API server audiences, and states its risk", () => {
    const issuer = cluster.find((m) => m.kind === "JwtIssuer")!;
    expect(issuer.metadata.name).not.toBe("kubernetes");
    expect(issuer.spec).toEqual({ iss: CLUSTER_ISSUER, aud: ["${GATEWAY_URL}", CLUSTER_ISSUER], tokenExpiry: "2h" });
    const text = readFileSync(issuer.file, "utf8");
    expect(text).toMatch(/RISK:/);
    expect(text).toContain("iam.kubernetesIssuer.create=false");
  });

  it("the JwtIssuer loads in the sandbox; the two Kyverno policies are skipped there, as they are not IAM", async () => {
    const warnings: string[] = [];
    const loaded = await loadManifests([clusterDir], (line) => warnings.push(line));
    expect(loaded.issuers.map((i) => i.name)).toEqual(["kubernetes-automounted"]);
    expect(warnings.join("\n")).toMatch(/ClusterPolicy/);
    expect(warnings.join("\n")).toMatch(/MutatingPolicy/);
  });

  it("no function service account turns the automounted token off (the JwtIssuer route reads it; the Kyverno route turns it off per cluster)", () => {
    for (const name of functionNames()) {
      for (const account of readManifests(join(repoRoot, "functions", name, "iam")).filter((m) => m.kind === "ServiceAccount")) {
        expect(account["automountServiceAccountToken"], `${name}: ${account.file}`).toBeUndefined();
      }
    }
  });
});
