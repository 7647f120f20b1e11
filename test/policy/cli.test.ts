/**
 * `npm run policy` on bad input and on --write: each bad input gets a clear message with a stable
 * code and a non-zero exit, malformed lines are skipped and counted, a log from another sandbox run
 * is refused naming it, and nothing is written over the manifests unless --write asks (and then
 * only this identity's Policy and Role, refused when that would change anyone else's rights).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import type { AuditLine } from "../../sandbox/src/audit-log.js";
import { loadManifests } from "../../sandbox/src/iam/manifest-loader.js";
import { main, parseSince } from "../../sandbox/src/policy/policy-cli.js";

const repo = resolve(import.meta.dirname, "../..");
const CLI = join(repo, "sandbox/dist/policy/policy-cli.js");
const NS_ADMIN = "fed:system:serviceaccount:openfaas-fn:ns-admin";
const JANITOR = "fed:system:serviceaccount:openfaas-fn:preview-janitor";
const ISS = "https://kubernetes.default.svc.cluster.local";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "policy-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let clock = Date.parse("2026-03-01T10:00:00Z");
/** One audit line as the sandbox writes it (times increase line by line). */
function line(subject: string, action: string, resource: string, allowed = true, extra: Partial<AuditLine> = {}): string {
  clock += 1000;
  const reason = allowed ? "ns-admin-dev/manage-dev" : "no statement of [ns-admin-dev] allows it";
  return JSON.stringify({ time: new Date(clock).toISOString(), run: "run-b", subject, action, resource, allowed, reason, issuer: ISS, policies: ["ns-admin-dev"], ...extra });
}
let files = 0;
/** Writes an audit log (lines joined with newlines, ending in one) and returns its path. */
function log(lines: string[], ending = "\n"): string {
  const path = join(dir, `audit-${++files}.ndjson`);
  writeFileSync(path, lines.join("\n") + (lines.length > 0 ? ending : ""));
  return path;
}
const nsAdminDay = () => [
  line(NS_ADMIN, "Token:Exchange", "*", true, { reason: "policies ns-admin-dev" }),
  line(NS_ADMIN, "Function:List", "dev:*"),
  line(NS_ADMIN, "Function:Get", "dev:api"),
  line(NS_ADMIN, "Function:Update", "dev:api"),
  line(NS_ADMIN, "Namespace:List", "dev:*"),
  line(NS_ADMIN, "Namespace:List", "prod:*", false),
];

/** Runs the CLI in this process; exit status and what it printed. */
async function policy(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(["--root", repo, ...argv], (t) => (stdout += t), (t) => (stderr += t));
  return { code, stdout, stderr };
}

/** A digest of every shipped manifest: nothing may change them without --write. */
function manifestDigest(root = repo): string {
  const hash = createHash("sha256");
  for (const fn of readdirSync(join(root, "functions")).sort()) {
    let names: string[] = [];
    try {
      names = readdirSync(join(root, "functions", fn, "iam")).sort();
    } catch {
      continue;
    }
    for (const n of names) hash.update(`${fn}/${n}\n`).update(readFileSync(join(root, "functions", fn, "iam", n)));
  }
  return hash.digest("hex");
}

describe("policy CLI: bad input", () => {
  const before = manifestDigest();
  afterAll(() => expect(manifestDigest()).toBe(before));

  it.each([
    [["suggest", "no-such-fn"], "UNKNOWN_FUNCTION", "function no-such-fn is not in"],
    [["suggest", "ns-admin", "--namespace", "dev"], "UNKNOWN_FUNCTION", "function ns-admin is deployed to namespace openfaas-fn"],
    [["diff", "no-such-fn"], "UNKNOWN_FUNCTION", "(its functions: ns-admin, tenant-provisioner, preview-janitor)"],
  ])("%j is refused: %s", async (argv, code, text) => {
    const r = await policy(...argv, "--audit", log(nsAdminDay()));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`policy: ${code}: `);
    expect(r.stderr).toContain(text);
  });

  it("refuses a missing audit log, and a folder without one, saying how to make one", async () => {
    const missing = await policy("suggest", "ns-admin", "--audit", join(dir, "nowhere"));
    expect([missing.code, missing.stdout]).toEqual([2, ""]);
    expect(missing.stderr).toContain(`policy: NO_AUDIT_LOG: no audit log at ${join(dir, "nowhere")}: start the sandbox (npm start)`);
    const empty = mkdtempSync(join(dir, "state-"));
    const folder = await policy("suggest", "ns-admin", "--audit", empty);
    expect(folder.stderr).toContain(`policy: NO_AUDIT_LOG: no audit log in ${empty}: expected audit.ndjson`);
    expect(folder.code).toBe(2);
  });

  it("refuses an empty log, and one whose every line is malformed, counting them", async () => {
    const empty = await policy("suggest", "ns-admin", "--audit", log([]));
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/policy: EMPTY_AUDIT_LOG: the audit log holds no decision: .*audit-\d+\.ndjson\. Run your function's tests/);
    const junk = await policy("suggest", "ns-admin", "--audit", log(["not json", '{"time":"x"}', "[]"]));
    expect(junk.code).toBe(2);
    expect(junk.stderr).toContain("EMPTY_AUDIT_LOG: the audit log holds no decision (3 malformed line(s) skipped, e.g. ");
  });

  it("skips and counts malformed lines, prints the suggestion anyway with a warning, exits 1, and refuses --write", async () => {
    const path = log([...nsAdminDay().slice(0, 3), "{broken", JSON.stringify({ time: "2026-03-01T11:00:00Z", subject: NS_ADMIN, action: "Function:Get" }), ...nsAdminDay().slice(3)]);
    const r = await policy("suggest", "ns-admin", "--audit", path);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`2 malformed line(s) skipped (${path}:4: not JSON; ${path}:5: resource is not a non-empty string)`);
    expect(r.stdout).toContain("# WARNING: 2 malformed line(s) of the log were skipped; the evidence may be incomplete.");
    expect(r.stdout).toContain("- Function:Update");
    const write = await policy("suggest", "ns-admin", "--audit", path, "--write");
    expect(write.code).toBe(2);
    expect(write.stderr).toContain("policy: WRITE_REFUSED: refusing to write from a log with 2 malformed line(s)");
  });

  it("never echoes the content of a line it skips or a field it does not read (a 1,100-character token canary)", async () => {
    const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const canary = `${part({ alg: "RS256", kid: "canary" })}.${part({ iss: ISS, sub: "system:serviceaccount:openfaas-fn:ns-admin", aud: ["x"], pad: "c".repeat(600) })}.${"s".repeat(342)}`;
    expect(canary.length).toBeGreaterThan(1000);
    const path = log([...nsAdminDay(), canary, `{"token":"${canary}"`, line(NS_ADMIN, "Function:Get", "dev:x", true, { token: canary } as Partial<AuditLine>)]);
    for (const argv of [["suggest", "ns-admin"], ["diff", "ns-admin"], ["check"]]) {
      const r = await policy(...argv, "--audit", path);
      expect(r.stderr).toContain("2 malformed line(s) skipped");
      for (let i = 0; i + 24 <= canary.length; i += 24) expect(r.stdout + r.stderr, argv.join(" ")).not.toContain(canary.slice(i, i + 24));
    }
  });

  it("takes a last line still being written as incomplete, not malformed", async () => {
    const r = await policy("suggest", "ns-admin", "--audit", log([...nsAdminDay(), '{"time":"2026-03-01T12:00:00Z","subj'], ""));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("1 line still being written skipped");
    expect(r.stderr).not.toContain("malformed");
  });

  it("refuses a log whose latest run has nothing of the function, naming the run that has", async () => {
    const earlier = nsAdminDay().map((l) => l.replace('"run":"run-b"', '"run":"run-a"'));
    const path = log([...earlier, line(JANITOR, "Function:List", "dev:*")]);
    const r = await policy("suggest", "ns-admin", "--audit", path);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/policy: OTHER_RUN: no decision of system:serviceaccount:openfaas-fn:ns-admin in sandbox run run-b \(.* 1 decisions\); the log has some from another run: run-a \(.*, 6 decisions\)\. Pass --run ID/);
    const picked = await policy("suggest", "ns-admin", "--audit", path, "--run", "run-a");
    expect(picked.code).toBe(0);
    expect(picked.stdout).toContain("from 4 decision(s) in sandbox run run-a");
    const merged = await policy("suggest", "ns-admin", "--audit", path, "--all-runs");
    expect(merged.code).toBe(0);
    const unknown = await policy("suggest", "ns-admin", "--audit", path, "--run", "run-z");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("policy: OTHER_RUN: run run-z is not in the audit log; its runs are: run-a (");
  });

  it("uses the latest run by default and says which runs it ignored", async () => {
    const earlier = nsAdminDay().map((l) => l.replace('"run":"run-b"', '"run":"run-a"').replace("dev:api", "dev:old"));
    const r = await policy("suggest", "ns-admin", "--audit", log([...earlier, ...nsAdminDay()]));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("- dev:api");
    expect(r.stdout).not.toContain("dev:old");
    expect(r.stderr).toContain("ignored 1 other run(s) (--all-runs merges them, --run ID picks one)");
  });

  it("filters by --since, and refuses when nothing is that recent", async () => {
    const path = log([line(NS_ADMIN, "Function:Get", "dev:old"), line(NS_ADMIN, "Function:Get", "dev:new")]);
    const since = new Date(clock - 500).toISOString();
    const r = await policy("suggest", "ns-admin", "--audit", path, "--since", since);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("- dev:new");
    expect(r.stdout).not.toContain("dev:old");
    expect(r.stderr).toContain("1 before --since skipped");
    const none = await policy("suggest", "ns-admin", "--audit", path, "--since", "1m");
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("policy: EMPTY_AUDIT_LOG: no decision of the audit log is at or after --since (2 older ones skipped)");
  });

  it("reads --since as an ISO 8601 time, whole days, or a duration as the sandbox reads every other one", () => {
    const now = Date.parse("2026-03-01T12:00:00Z");
    expect(parseSince("2026-01-31T12:00:00Z", now).toISOString()).toBe("2026-01-31T12:00:00.000Z");
    expect(parseSince("7d", now).toISOString()).toBe("2026-02-22T12:00:00.000Z");
    expect(parseSince("2h", now).toISOString()).toBe("2026-03-01T10:00:00.000Z");
    expect(parseSince("30m", now).toISOString()).toBe("2026-03-01T11:30:00.000Z");
    expect(parseSince("90s", now).toISOString()).toBe("2026-03-01T11:58:30.000Z");
    expect(parseSince("1h30m", now).toISOString()).toBe("2026-03-01T10:30:00.000Z");
    for (const bad of ["yesterday", "7 d", "-1h", "d", ""]) expect(() => parseSince(bad, now), bad).toThrow(/--since takes an ISO 8601 time/);
  });

  it("refuses an identity with no evidence, and one whose exchanges were all refused, saying why", async () => {
    const path = log([line("system:serviceaccount:openfaas-fn:tenant-provisioner", "Token:Exchange", "*", false, { reason: "No policies found for subject: system:serviceaccount:openfaas-fn:tenant-provisioner", policies: [] }), line(JANITOR, "Function:List", "dev:*")]);
    const silent = await policy("suggest", "--subject", "system:serviceaccount:ci:deployer", "--audit", path);
    expect(silent.code).toBe(2);
    expect(silent.stderr).toContain("policy: NO_EVIDENCE: no decision of system:serviceaccount:ci:deployer in the audit log (1 run(s), 2 decisions)");
    const refused = await policy("suggest", "tenant-provisioner", "--audit", path);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("policy: NO_EVIDENCE: no allowed decision of system:serviceaccount:openfaas-fn:tenant-provisioner to suggest from: its token exchanges were refused (No policies found for subject");
  });

  it("refuses invalid manifests and an invalid check list, naming file and field", async () => {
    const root = mkdtempSync(join(dir, "root-"));
    mkdirSync(join(root, "functions", "x", "iam"), { recursive: true });
    writeFileSync(join(root, "functions", "x", "iam", "policy.yaml"), "apiVersion: iam.openfaas.com/v1\nkind: Policy\nmetadata: {name: x}\nspec:\n  statement:\n    - {sid: a, effect: Allow, action: [Function:Read], resource: ['dev:*']}\n");
    let stderr = "";
    const code = await main(["check", "--root", root, "--audit", log(nsAdminDay())], () => {}, (t) => (stderr += t));
    expect(code).toBe(2);
    expect(stderr).toContain(`policy: BAD_MANIFESTS: ${join(root, "functions", "x", "iam", "policy.yaml")}: Policy/x (document 1): spec.statement[0].action[0]: "Function:Read" matches no action`);
    const list = join(dir, "bad-list.yaml");
    writeFileSync(list, "policies:\n  - name: ns-admin-dev\n    expectDenied:\n      - {action: '*', resource: 'staging:*'}\n");
    const bad = await policy("check", "--audit", log(nsAdminDay()), "--expect", list);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`policy: BAD_CHECK_LIST: ${list}: policies[0].expectDenied[0].why: must be a non-empty string`);
  });

  it.each([
    [[], "name a command: explain, lint, suggest, diff or check"],
    [["audit"], 'unknown command "audit"'],
    [["suggest"], "suggest needs a function name (or --subject)"],
    [["suggest", "ns-admin", "extra"], "unexpected argument(s): extra"],
    [["suggest", "ns-admin", "--subject", "x"], "give a function name or --subject, not both"],
    [["check", "ns-admin"], "check takes no function"],
    [["diff", "ns-admin", "--write"], "--write goes with suggest"],
    [["diff", "ns-admin", "--generalise-namespaces", "tenant-*"], "--generalise-namespaces goes with suggest"],
    [["suggest", "ns-admin", "--expect", "x.yaml"], "--expect goes with check"],
    [["suggest", "ns-admin", "--run", "a", "--all-runs"], "give --run or --all-runs, not both"],
    [["suggest", "ns-admin", "--since", "yesterday"], "--since takes an ISO 8601 time"],
    [["suggest", "ns-admin", "--generalise-namespaces", "*"], "would grant every namespace"],
    [["suggest", "ns-admin", "--generalise-namespaces", "tenant"], "takes a namespace pattern with a *"],
    [["suggest", "ns-admin", "--namespace", "Not_A_Namespace"], "--namespace must be a namespace name"],
    [["suggest", "ns-admin", "--policy-name", "Bad Name"], "--policy-name must be a Kubernetes object name"],
    [["suggest", "--subject", "has space"], "--subject must be a token subject"],
    [["suggest", "ns-admin", "--bogus"], "Unknown option '--bogus'"],
  ])("usage error %j: exit 2 with one line, the problem and where the usage is", async (argv, text) => {
    const r = await policy(...argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^policy: USAGE: [^\n]*\(npm run policy -- --help\)\n$/);
    expect(r.stderr).toContain(text);
  });

  it("as a process: --help on stdout with exit 0, a usage error exit 2, findings exit 1", () => {
    const help = spawnSync(process.execPath, [CLI, "--help"], { encoding: "utf8" });
    expect([help.status, help.stderr]).toEqual([0, ""]);
    expect(help.stdout).toContain("suggest <function>");
    const bad = spawnSync(process.execPath, [CLI, "suggest"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toContain("policy: USAGE: suggest needs a function name");
    const diff = spawnSync(process.execPath, [CLI, "diff", "ns-admin", "--audit", log(nsAdminDay())], { encoding: "utf8", cwd: repo });
    expect(diff.status, diff.stderr).toBe(1);
    expect(diff.stdout).toContain("granted, never used:\n  Function:Create on dev:*  (Policy ns-admin-dev, statement manage-dev)");
  });
});

describe("policy CLI: diff", () => {
  it("lists grants never used and refusals, and hides namespaces a list filtered", async () => {
    const r = await policy("diff", "ns-admin", "--audit", log([...nsAdminDay(), line(NS_ADMIN, "Function:Get", "staging:api", false)]));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("  Policies in force: ns-admin-dev (functions/ns-admin/iam/policy.yaml)");
    expect(r.stdout).toContain("  Secret:Delete on dev:*  (Policy ns-admin-dev, statement manage-dev)");
    expect(r.stdout).not.toContain("Function:List on dev:*  (Policy");
    expect(r.stdout).toContain("denied, would need:\n  Function:Get on staging:api  (denied 1x: no statement of [ns-admin-dev] allows it)");
    expect(r.stdout).toContain("hidden from lists (not refusals): Namespace:List on prod:*");
  });
});

describe("policy CLI: --write", () => {
  /** A copy of the repository's stack and manifests to write into. */
  function project(): string {
    const root = mkdtempSync(join(dir, "project-"));
    cpSync(join(repo, "stack.yml"), join(root, "stack.yml"));
    for (const fn of ["ns-admin", "tenant-provisioner", "preview-janitor"]) cpSync(join(repo, "functions", fn, "iam"), join(root, "functions", fn, "iam"), { recursive: true });
    return root;
  }
  const run = async (root: string, ...argv: string[]) => {
    let stdout = "";
    let stderr = "";
    const code = await main([...argv, "--root", root], (t) => (stdout += t), (t) => (stderr += t));
    return { code, stdout, stderr };
  };

  it("prints without --write and writes nothing; with --write replaces the Policy in its file, leaving the Role that already binds it", async () => {
    const root = project();
    const before = manifestDigest(root);
    const role = readFileSync(join(root, "functions/ns-admin/iam/role.yaml"), "utf8");
    const audit = log(nsAdminDay());
    expect((await run(root, "suggest", "ns-admin", "--audit", audit)).code).toBe(0);
    expect(manifestDigest(root)).toBe(before);
    const r = await run(root, "suggest", "ns-admin", "--audit", audit, "--write");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("policy: wrote functions/ns-admin/iam/policy.yaml (Policy ns-admin-dev, Role ns-admin)\n".replace("functions/", `${root}/functions/`));
    expect(readFileSync(join(root, "functions/ns-admin/iam/role.yaml"), "utf8")).toBe(role);
    const written = await loadManifests([join(root, "functions/ns-admin/iam")]);
    expect(written.policies[0]!.spec.statement).toEqual([
      { sid: "dev", effect: "Allow", action: ["Function:List", "Namespace:List"], resource: ["dev:*"] },
      { sid: "dev-functions", effect: "Allow", action: ["Function:Get", "Function:Update"], resource: ["dev:api"] },
    ]);
    // Now the Policy is exactly what was used: diff finds nothing.
    const diff = await run(root, "diff", "ns-admin", "--audit", audit);
    expect(diff.stdout).toContain("granted, never used: none\ndenied, would need: none\n");
    expect(diff.code).toBe(0);
  });

  it("keeps the other documents of a multi-document file as they were", async () => {
    const root = project();
    const iam = join(root, "functions/ns-admin/iam");
    const combined = `# all in one\n${readFileSync(join(iam, "serviceaccount.yaml"), "utf8")}---\n${readFileSync(join(iam, "policy.yaml"), "utf8")}---\n${readFileSync(join(iam, "role.yaml"), "utf8")}`;
    for (const f of ["serviceaccount.yaml", "policy.yaml", "role.yaml"]) rmSync(join(iam, f));
    writeFileSync(join(iam, "iam.yaml"), combined);
    const r = await run(root, "suggest", "ns-admin", "--audit", log(nsAdminDay()), "--write");
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(join(iam, "iam.yaml"), "utf8");
    const docs = parseAllDocuments(text).map((d) => d.toJS() as { kind: string });
    expect(docs.map((d) => d.kind)).toEqual(["ServiceAccount", "Policy", "Role"]);
    expect(text.startsWith(combined.slice(0, combined.indexOf("---\n")))).toBe(true);
    expect(text.endsWith(combined.slice(combined.lastIndexOf("---\n")))).toBe(true);
    expect((await loadManifests([iam])).policies[0]!.spec.statement.flatMap((s) => s.action)).toEqual(["Function:List", "Namespace:List", "Function:Get", "Function:Update"]);
  });

  it("refuses to write a Policy that another identity is bound to, changing nothing", async () => {
    const root = project();
    writeFileSync(
      join(root, "functions/preview-janitor/iam/role.yaml"),
      readFileSync(join(root, "functions/preview-janitor/iam/role.yaml"), "utf8").replace("    - preview-janitor\n  principal", "    - preview-janitor\n    - ns-admin-dev\n  principal"),
    );
    const before = manifestDigest(root);
    const r = await run(root, "suggest", "ns-admin", "--audit", log(nsAdminDay()), "--write");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("policy: WRITE_REFUSED: Policy ns-admin-dev is also bound to system:serviceaccount:openfaas-fn:preview-janitor (Role preview-janitor)");
    expect(manifestDigest(root)).toBe(before);
    const renamed = await run(root, "suggest", "ns-admin", "--audit", log(nsAdminDay()), "--policy-name", "ns-admin-least");
    expect(renamed.code).toBe(0);
    expect(renamed.stdout).toContain("name: ns-admin-least");
  });

  it("rewrites the Role when it changes (here: gains the jwt:iss condition), and refuses one that binds another Policy too", async () => {
    const root = project();
    const roleFile = join(root, "functions/ns-admin/iam/role.yaml");
    const shippedRole = readFileSync(roleFile, "utf8");
    writeFileSync(roleFile, shippedRole.slice(0, shippedRole.indexOf("  condition:")));
    const r = await run(root, "suggest", "ns-admin", "--audit", log(nsAdminDay()), "--write");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("functions/ns-admin/iam/role.yaml");
    expect((await loadManifests([join(root, "functions/ns-admin/iam")])).roles[0]!.spec.condition).toEqual({ StringEqual: { "jwt:iss": [ISS] } });

    writeFileSync(roleFile, shippedRole.replace("    - ns-admin-dev\n", "    - ns-admin-dev\n    - preview-janitor\n"));
    const before = manifestDigest(root);
    const refused = await run(root, "suggest", "ns-admin", "--audit", log(nsAdminDay()), "--write");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("policy: WRITE_REFUSED: Role ns-admin also binds ns-admin-dev, preview-janitor; change it by hand");
    expect(manifestDigest(root)).toBe(before);
  });

  it("writes new policy.yaml and role.yaml for a function that has none, and never overwrites a file holding something else", async () => {
    const root = project();
    const iam = join(root, "functions/ns-admin/iam");
    rmSync(join(iam, "policy.yaml"));
    rmSync(join(iam, "role.yaml"));
    const r = await run(root, "suggest", "ns-admin", "--audit", log(nsAdminDay()), "--write");
    expect(r.code, r.stderr).toBe(0);
    const m = await loadManifests([iam]);
    expect(m.policies.map((p) => p.name)).toEqual(["ns-admin"]);
    expect(m.roles[0]!.spec).toEqual({ policy: ["ns-admin"], principal: { "jwt:sub": ["system:serviceaccount:openfaas-fn:ns-admin"] }, condition: { StringEqual: { "jwt:iss": [ISS] } } });
    // A second --write under another name finds policy.yaml holding a different Policy: refused.
    const again = await run(root, "suggest", "ns-admin", "--audit", log(nsAdminDay()), "--write", "--policy-name", "other");
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("WRITE_REFUSED");
  });
});
