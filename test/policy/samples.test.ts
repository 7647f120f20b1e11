/**
 * Least privilege from evidence, on the samples, with their real e2e tests:
 * 1. the e2e tests listed as `trail` in samples.check.yaml run (a child vitest, through
 *    evidence.config.ts) with every sandbox's audit log kept: the trail;
 * 2. `check` over the trail passes for the shipped Policies, and fails a Policy granting an action
 *    the tests never use, one lacking an action they need, and a Policy left off the check list;
 * 3. for each sample, `suggest` from the trail gives a valid Policy and Role that grant nothing the
 *    shipped ones do not;
 * 4. the same e2e tests pass again with the suggested Policies and Roles loaded instead of the
 *    shipped ones (and the trail of that run shows the suggested statements in force).
 * Cost: two runs of the e2e file (about 15-25 s each on 2 shared cores) plus a few CLI calls.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { KUBERNETES_ISSUER } from "../../sandbox/src/issuer/service-account-issuer.js";
import { loadManifests } from "../../sandbox/src/iam/manifest-loader.js";
import { projectIamDirs } from "../../sandbox/src/project.js";
import type { IamManifests } from "../../sandbox/src/iam/types.js";
import { grantsBeyond } from "../../sandbox/src/policy/coverage.js";

const repo = resolve(import.meta.dirname, "../..");
const CLI = join(repo, "sandbox/dist/policy/policy-cli.js");
const CHECK_LIST = join(import.meta.dirname, "samples.check.yaml");
const SAMPLES = ["ns-admin", "tenant-provisioner", "preview-janitor"] as const;
const subjectOf = (fn: string) => `system:serviceaccount:openfaas-fn:${fn}`;

interface E2eRun {
  code: number | null;
  passed: number;
  total: number;
  /** Where its output went (shown when it fails). */
  output: string;
}

/** Runs the trail's e2e tests in a child vitest with their audit logs kept under `evidence`. */
function runE2e(evidence: string, manifests?: string): Promise<E2eRun> {
  mkdirSync(evidence, { recursive: true });
  const report = join(evidence, "..", `${basename(evidence)}-report.json`);
  const output = join(evidence, "..", `${basename(evidence)}-output.txt`);
  // The child is a vitest of its own: nothing of this worker's vitest environment may leak into it.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("VITEST")));
  env["POLICY_EVIDENCE_DIR"] = evidence;
  if (manifests) env["POLICY_EVIDENCE_MANIFESTS"] = manifests;
  const args = [join(repo, "node_modules/vitest/vitest.mjs"), "run", "--config", join(import.meta.dirname, "evidence.config.ts"), "--reporter=default", "--reporter=json", `--outputFile.json=${report}`];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (c: Buffer) => (text += c.toString()));
    child.stderr.on("data", (c: Buffer) => (text += c.toString()));
    child.on("error", fail);
    child.on("exit", (code) => {
      writeFileSync(output, text);
      let result = { numPassedTests: 0, numTotalTests: 0 };
      try {
        result = JSON.parse(readFileSync(report, "utf8")) as typeof result;
      } catch {
        // no report: the run failed before writing one; the output says why
      }
      done({ code, passed: result.numPassedTests, total: result.numTotalTests, output: text.replace(/\x1b\[[0-9;]*m/g, "").slice(-4000) });
    });
  });
}

/** The real CLI as a process. */
function policy(args: string[], cwd = repo): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Loads YAML text through the sandbox's manifest loader (CRD schemas plus its semantic rules). */
async function load(dir: string, name: string, text: string): Promise<IamManifests> {
  const file = join(dir, name);
  writeFileSync(file, text);
  return loadManifests([file]);
}

describe("the samples' Policies against their e2e trail", () => {
  let work: string;
  let trail: string;
  let trailRun: E2eRun;
  let shipped: IamManifests;
  const suggested = new Map<string, string>();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "policy-samples-"));
    trail = join(work, "trail");
    process.stderr.write("policy samples: running the e2e tests in a child vitest to record their audit trail\n");
    trailRun = await runE2e(trail);
    shipped = await loadManifests(await projectIamDirs(repo));
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("runs the e2e tests, which pass and leave one audit log per sandbox", () => {
    expect(trailRun.code, trailRun.output).toBe(0);
    expect(trailRun.passed).toBe(trailRun.total);
    expect(trailRun.total).toBeGreaterThan(10);
    expect(readdirSync(trail).length).toBeGreaterThanOrEqual(2);
  });

  it("check: every shipped sample Policy is exactly what its e2e tests used", () => {
    const r = policy(["check", "--audit", trail, "--expect", CHECK_LIST]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    for (const name of ["ns-admin-dev", "tenant-provisioner", "preview-janitor", "invoke-privileged-functions"]) expect(r.stdout).toMatch(new RegExp(`^ok    ${name} \\(`, "m"));
    expect(r.stdout).toContain("check: 4 Policies match their trail");
  });

  it("check fails a Policy granting an action the tests never used, one lacking an action they needed, and an unlisted one", async () => {
    const root = mkdtempSync(join(work, "root-"));
    cpSync(join(repo, "stack.yml"), join(root, "stack.yml"));
    for (const dir of await projectIamDirs(repo)) cpSync(dir, join(root, relative(repo, dir)), { recursive: true });
    const janitor = join(root, "functions/preview-janitor/iam/policy.yaml");
    const original = readFileSync(janitor, "utf8");
    writeFileSync(janitor, original.replace("        - Function:Delete\n", "        - Function:Delete\n        - Secret:Update\n"));
    const wide = policy(["check", "--root", root, "--audit", trail, "--expect", CHECK_LIST]);
    expect(wide.code).toBe(1);
    expect(wide.stdout).toContain("FAIL  preview-janitor (system:serviceaccount:openfaas-fn:preview-janitor):\n        granted, never used: Secret:Update on dev:* (statement sweep-previews)");
    expect(wide.stdout).toMatch(/^ok    ns-admin-dev/m);

    writeFileSync(janitor, original.replace("        - Function:Delete\n", ""));
    const narrow = policy(["check", "--root", root, "--audit", trail, "--expect", CHECK_LIST]);
    expect(narrow.code).toBe(1);
    expect(narrow.stdout).toMatch(/system:serviceaccount:openfaas-fn:preview-janitor: lacks: Function:Delete on dev:pr-expired {2}\(allowed 1x when recorded, not granted by these Policies\)/);

    writeFileSync(janitor, original);
    writeFileSync(join(root, "functions/preview-janitor/iam/extra.yaml"), "apiVersion: iam.openfaas.com/v1\nkind: Policy\nmetadata: {name: forgotten}\nspec:\n  statement:\n    - {sid: a, effect: Allow, action: ['Function:List'], resource: ['dev:*']}\n");
    const unlisted = policy(["check", "--root", root, "--audit", trail, "--expect", CHECK_LIST]);
    expect(unlisted.code).toBe(1);
    expect(unlisted.stdout).toContain("FAIL  Policy forgotten (");
    expect(unlisted.stdout).toContain("is shipped but not in the check list");
  });

  it.each(SAMPLES)("suggest %s from the trail: a valid Policy and Role granting nothing the shipped ones do not", async (fn) => {
    const r = policy(["suggest", fn, "--audit", trail, "--all-runs"]);
    expect(r.code, r.stderr).toBe(0);
    const m = await load(work, `${fn}.suggested.yaml`, r.stdout);
    expect(m.policies).toHaveLength(1);
    expect(m.roles).toHaveLength(1);
    const current = shipped.roles.find((role) => role.spec.principal?.["jwt:sub"]?.includes(subjectOf(fn)))!;
    const shippedPolicies = shipped.policies.filter((p) => current.spec.policy?.includes(p.name));
    // Same names, so the suggestion can replace the shipped objects one for one.
    expect(m.policies[0]!.name).toBe(shippedPolicies[0]!.name);
    expect(m.roles[0]!.name).toBe(current.name);
    expect(grantsBeyond(m.policies, shippedPolicies), "grants beyond the shipped Policy").toEqual([]);
    expect(m.roles[0]!.spec).toEqual({ policy: [m.policies[0]!.name], principal: { "jwt:sub": [subjectOf(fn)] }, condition: { StringEqual: { "jwt:iss": [KUBERNETES_ISSUER] } } });
    expect(m.policies[0]!.spec.statement.length).toBeGreaterThan(0);
    suggested.set(fn, r.stdout);
  });

  it("suggest with --generalise-namespaces tenant-* widens only what several tenants support, still within the shipped Policy", async () => {
    const r = policy(["suggest", "tenant-provisioner", "--audit", trail, "--all-runs", "--generalise-namespaces", "tenant-*"]);
    expect(r.code, r.stderr).toBe(0);
    const m = await load(work, "tenant-provisioner.generalised.yaml", r.stdout);
    const statements = m.policies[0]!.spec.statement;
    const wide = statements.find((s) => s.resource.includes("tenant-*:*"))!;
    expect(wide.action).toEqual(expect.arrayContaining(["Namespace:Create", "Namespace:Delete", "Function:Create", "Secret:Create"]));
    // Updated in one tenant only (acme): kept exact.
    expect(statements.find((s) => s.action.includes("Namespace:Update"))!.resource).toEqual(["tenant-acme:*"]);
    expect(r.stdout).toContain("#   Namespace:Update: kept tenant-acme exact: tenant-* needs 2 or more namespaces observed, saw 1");
    expect(grantsBeyond(m.policies, shipped.policies.filter((p) => p.name === "tenant-provisioner"))).toEqual([]);
  });

  it("the same e2e tests pass with the suggested Policies and Roles loaded instead of the shipped ones", async () => {
    expect([...suggested.keys()].sort()).toEqual([...SAMPLES].sort());
    // Every shipped manifest document, except the Policies and Roles a suggestion replaces, plus the suggestions.
    const manifests = join(work, "manifests");
    mkdirSync(manifests);
    const replaced = new Set<string>();
    for (const [fn, text] of suggested) {
      writeFileSync(join(manifests, `${fn}--suggested.yaml`), text);
      for (const d of parseAllDocuments(text)) {
        const o = d.toJS() as { kind: string; metadata: { name: string } };
        replaced.add(`${o.kind}/${o.metadata.name}`);
      }
    }
    for (const dir of await projectIamDirs(repo)) {
      for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
        parseAllDocuments(readFileSync(join(dir, file), "utf8")).forEach((d, i) => {
          const o = d.toJS() as { kind?: string; metadata?: { name?: string } } | null;
          if (!o || replaced.has(`${o.kind}/${o.metadata?.name}`)) return;
          writeFileSync(join(manifests, `${basename(dirname(dir))}--${file}--${i}.yaml`), String(d));
        });
      }
    }
    process.stderr.write("policy samples: running the same e2e tests with the suggested Policies\n");
    const again = await runE2e(join(work, "suggested"), manifests);
    expect(again.code, again.output).toBe(0);
    expect(again.passed).toBe(trailRun.total);
    expect(again.total).toBe(trailRun.total);
    // The suggested statements were the ones in force (their sids differ from the shipped ones').
    const lines = readdirSync(join(work, "suggested")).flatMap((d) => readFileSync(join(work, "suggested", d, "audit.ndjson"), "utf8").trim().split("\n"));
    expect(lines.some((l) => l.includes('"reason":"ns-admin-dev/dev-functions"'))).toBe(true);
    expect(lines.some((l) => l.includes('"reason":"ns-admin-dev/manage-dev"'))).toBe(false);
  }, 300_000);
});
