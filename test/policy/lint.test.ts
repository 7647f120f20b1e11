/**
 * `npm run policy -- lint`: every rule fires on its failing case, at the right line, and not on its
 * passing case; accepted findings pass with their reason; the exit status follows the severity and
 * --strict; bad input is one line and exit 2; and the manifests this repository ships (the samples,
 * the callers, the connectors as the sandbox renders them) lint clean, --strict.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lintManifests } from "../../sandbox/src/policy/lint.js";
import { RULES } from "../../sandbox/src/policy/lint-rules.js";
import { main } from "../../sandbox/src/policy/policy-cli.js";
import { bound, docs, LINT_CASES, policy, role } from "./support/lint-cases.js";

const repo = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "policy-lint-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A project folder holding `manifests` as iam/manifests.yaml (and a stack file, if given). */
function project(manifests: string, stack?: string): { root: string; file: string } {
  const root = join(dir, `p${++n}`);
  mkdirSync(join(root, "iam"), { recursive: true });
  writeFileSync(join(root, "iam", "manifests.yaml"), manifests);
  if (stack) writeFileSync(join(root, "stack.yml"), stack);
  return { root, file: join(root, "iam", "manifests.yaml") };
}

async function lint(manifests: string, stack?: string) {
  const { root, file } = project(manifests, stack);
  return (await lintManifests({ paths: [file], root, stack: join(root, "stack.yml"), manifests: [] })).findings;
}

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, (t) => (stdout += t), (t) => (stderr += t));
  return { code, stdout, stderr };
}

describe("policy lint: each rule, failing and passing", () => {
  it("has a failing and a passing case for every rule", () => {
    expect(new Set(LINT_CASES.map((c) => c.rule))).toEqual(new Set(Object.keys(RULES)));
  });

  it.each(LINT_CASES.map((c, i) => [`${c.rule} #${i}`, c] as const))("%s", async (_label, c) => {
    const failing = await lint(c.failing, c.stack);
    const found = failing.filter((f) => f.rule === c.rule);
    expect(found, JSON.stringify(failing, null, 1)).toHaveLength(1);
    expect(found[0]!.line).toBe(c.line);
    expect(found[0]!.severity).toBe(RULES[c.rule].severity);
    if (c.says) expect(found[0]!.message).toContain(c.says);
    // The failing case breaks this rule only (apart from what breaking it implies).
    const passing = await lint(c.passing, c.stack);
    expect(passing.filter((f) => f.accepted === undefined), JSON.stringify(passing, null, 1)).toEqual([]);
  });
});

describe("policy lint: accepting a finding, exit status, output", () => {
  it("reports an accepted finding with its reason and passes --strict", async () => {
    const { root, file } = project(docs(policy("p", ['{sid: all, effect: Allow, action: ["Function:*"], resource: ["dev:*"]}'], '    lint.node-ts-iam/accept-wildcard-action: "the dev namespace is this bot\'s own"'), role("r", ["p"], ["system:serviceaccount:apps:one"])));
    const r = await cli("lint", file, "--root", root, "--strict");
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain(`${file}:10: accepted wildcard-action: Policy/p spec.statement[0].action[0]: statement all grants "Function:*"`);
    expect(r.stdout).toContain("    accepted: the dev namespace is this bot's own\n");
    expect(r.stdout).toMatch(/: 0 errors, 0 warnings, 1 accepted\n$/);
  });

  it("refuses to accept an error, or a finding without a reason", async () => {
    const withReason = (key: string, reason: string) => docs(policy("p", ['{sid: a, effect: Allow, action: [Function:Read], resource: ["dev:*"]}'], `    ${key}: "${reason}"`), role("r", ["p"], ["system:serviceaccount:apps:one"]));
    const error = await lint(withReason("lint.node-ts-iam/accept-invalid-action", "we know"));
    // The Policy is refused, so its annotations are not read: the error stands.
    expect(error.map((f) => [f.rule, f.accepted])).toEqual([["invalid-action", undefined]]);
    const accepted = await lint(docs(policy("p", [LIST_ALL], '    lint.node-ts-iam/accept-missing-policy: "later"'), role("r", ["p"], ["system:serviceaccount:apps:one"])));
    expect(accepted.filter((f) => f.rule === "bad-accept").map((f) => f.message)).toEqual(["missing-policy is an error: it cannot be accepted, only mended"]);
    const blank = await lint(docs(policy("p", ['{sid: all, effect: Allow, action: ["Function:*"], resource: ["dev:*"]}'], '    lint.node-ts-iam/accept-wildcard-action: " "'), role("r", ["p"], ["system:serviceaccount:apps:one"])));
    expect(blank.map((f) => [f.rule, f.accepted])).toEqual([["bad-accept", undefined], ["wildcard-action", undefined]]);
  });

  it("exit status: 0 for warnings alone, 1 with --strict or an error, 2 for a path that is not there or a file that is not YAML", async () => {
    const warning = project(docs(policy("p", ['{sid: all, effect: Allow, action: ["Function:*"], resource: ["dev:*"]}']), role("r", ["p"], ["system:serviceaccount:apps:one"])));
    const loose = await cli("lint", warning.file, "--root", warning.root);
    expect([loose.code, loose.stderr]).toEqual([0, ""]);
    expect(loose.stdout).toMatch(/0 errors, 1 warning, 0 accepted \(warnings pass without --strict\)\n$/);
    expect((await cli("lint", warning.file, "--root", warning.root, "--strict")).code).toBe(1);
    const error = project(bound(["{sid: a, effect: Allow, action: [Function:List], resource: [dev]}"]));
    expect((await cli("lint", error.file, "--root", error.root)).code).toBe(1);

    const broken = project("apiVersion: iam.openfaas.com/v1\nkind: Policy\nmetadata: {name: p\n");
    for (const argv of [["lint", broken.file], ["lint", join(dir, "nowhere.yaml")]]) {
      const r = await cli(...argv, "--root", broken.root);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.split("\n")).toHaveLength(2); // one line and its newline
      expect(r.stderr).toMatch(/^policy: BAD_MANIFESTS: .*(invalid YAML|does not exist)/);
    }
  });

  it("prints JSON with the rule, file, line, why and acceptance of every finding", async () => {
    const { root, file } = project(docs(policy("p", [LIST_ALL]), role("r", ["p", "nope"], ["system:serviceaccount:apps:one"])));
    const r = await cli("lint", file, "--root", root, "--json");
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { findings: Record<string, unknown>[]; summary: Record<string, unknown> };
    expect(report.findings).toEqual([
      { rule: "missing-policy", severity: "error", file, line: 16, object: "Role/r", field: "spec.policy[1]", message: "Role r grants Policy nope, which no manifest defines", why: RULES["missing-policy"].why, accepted: null },
    ]);
    expect(report.summary).toEqual({ files: 1, objects: 2, errors: 1, warnings: 0, accepted: 0, failed: true });
  });

  it("lints a folder of files together, and finds a duplicate across them", async () => {
    const { root } = project(docs(policy("p", [LIST_ALL]), role("r", ["p"], ["system:serviceaccount:apps:one"])));
    writeFileSync(join(root, "iam", "again.yaml"), policy("p", [LIST_ALL]));
    const r = await cli("lint", join(root, "iam"), "--root", root);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${join(root, "iam", "manifests.yaml")}:4: error invalid-manifest: Policy/p metadata.name: duplicate Policy "p" (first defined in ${join(root, "iam", "again.yaml")}#1)`);
  });
});

const LIST_ALL = '{sid: list, effect: Allow, action: [Function:List], resource: ["dev:*"]}';

describe("the shipped manifests", () => {
  it("lint clean with --strict: the samples, the callers, the connectors as the sandbox renders them", async () => {
    const r = await cli("lint", "--root", repo, "--strict");
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^lint: \d+ objects in \d+ files: 0 errors, 0 warnings, 0 accepted\n$/);
    expect(r.code).toBe(0);
    // What it read: every sample's Role and the connectors' rendered ones.
    const report = await lintManifests({ paths: [], root: repo, stack: join(repo, "stack.yml"), manifests: [] });
    expect(report.objects).toBeGreaterThanOrEqual(21);
  });

  it("the documented finding is the one lint prints", async () => {
    const text = readFileSync(join(repo, "sandbox/docs/policy.md"), "utf8");
    const block = /<!-- policy:lint-example -->\s*```yaml\n([\s\S]*?)```\s*```text\n([\s\S]*?)```/.exec(text);
    expect(block, "sandbox/docs/policy.md: <!-- policy:lint-example --> then a yaml and a text block").not.toBeNull();
    const [, yaml, output] = block!;
    const { root, file } = project(yaml!);
    const r = await cli("lint", file, "--root", root);
    expect(r.stdout.replaceAll(file, "functions/reporter/iam/policy.yaml")).toBe(output);
  });

  it("sandbox/docs/policy.md lists every rule with its severity and the reason lint prints", () => {
    const text = readFileSync(join(repo, "sandbox/docs/policy.md"), "utf8");
    const rows = [...text.matchAll(/^\| `([a-z-]+)` \| (error|warning) \| [^|]+ \| ([^|]+) \|$/gm)].map((m) => [m[1], m[2], m[3]]);
    expect(rows).toEqual(Object.entries(RULES).map(([id, r]) => [id, r.severity, r.why]));
  });
});
