/**
 * Bad input to the command lines (issue 21: 126 cases were tried; these are the ones that failed and
 * their neighbours): each exits 2 with exactly one line on stderr, no stack trace, nothing on stdout,
 * and writes nothing. The compiled programs `npm run cluster:render|token|connector:render|policy`
 * run (after their build), each in an empty working folder; `--out` points into it, so anything
 * written would show there.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../functions/support/command.js";
import { repoRoot } from "../functions/support/repo.js";

const CLUSTER = join(repoRoot, "functions/cluster/dist/render-cli.js");
const TOKEN = join(repoRoot, "sandbox/dist/token-cli.js");
const CONNECTOR = join(repoRoot, "connectors/cron-connector/dist/deploy/render-cli.js");
const POLICY = join(repoRoot, "sandbox/dist/policy/policy-cli.js");
const GATEWAY_URL = "https://gw.acme-corp.test";
const CONNECTOR_BASE = ["--gateway-url", GATEWAY_URL, "--image", "registry.acme-corp.test/cron-connector:1"];

/** A scratch folder per case: `WORK` in an argument stands for it; it holds a regular file `file` and an empty folder `empty`. */
let scratch: string;
let work: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "cli-bad-input-"));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** [what, program, arguments, environment, the line's pattern] */
type Case = [string, string, string[], Record<string, string | undefined>, RegExp];
const cluster = (what: string, args: string[], line: RegExp, env: Record<string, string | undefined> = { GATEWAY_URL }): Case => [`cluster:render ${what}`, CLUSTER, args, env, line];
const token = (what: string, args: string[], line: RegExp): Case => [`token ${what}`, TOKEN, ["--state-dir", "WORK/state", ...args], {}, line];
const connector = (what: string, args: string[], line: RegExp): Case => [`connector:render ${what}`, CONNECTOR, [...CONNECTOR_BASE, ...args], { GATEWAY_URL: undefined }, line];
const policy = (what: string, args: string[], line: RegExp): Case => [`policy ${what}`, POLICY, args, { SANDBOX_STATE_DIR: undefined }, line];

const cases: Case[] = [
  cluster("--bogus", ["--bogus"], /^cluster:render: ERR_USAGE: Unknown option '--bogus'/),
  cluster("--out without a value", ["--out"], /^cluster:render: ERR_USAGE: Option '--out <value>' argument missing/),
  cluster("--out empty", ["--out="], /^cluster:render: ERR_USAGE: --out needs a folder/),
  cluster("--out under a regular file", ["--out", "WORK/file/out"], /^cluster:render: ERR_OUT_DIR: cannot write to --out .*\/file\/out: .*\/file is not a folder$/),
  cluster("--out a regular file", ["--out", "WORK/file"], /^cluster:render: ERR_OUT_DIR: .*is not a folder$/),
  cluster("--out /proc/nope (hung)", ["--out", "/proc/nope"], /^cluster:render: ERR_OUT_DIR: cannot write to --out \/proc\/nope: /),
  cluster("--out /proc/nope/deeper", ["--out", "/proc/nope/deeper"], /^cluster:render: ERR_OUT_DIR: /),
  cluster("a positional argument", ["build"], /^cluster:render: ERR_USAGE: Unexpected argument 'build'/),
  cluster("--help with a value", ["--help=yes"], /^cluster:render: ERR_USAGE: /),
  cluster("GATEWAY_URL unset", ["--out", "WORK/out"], /^cluster:render: ERR_GATEWAY_URL_MISSING: /, { GATEWAY_URL: undefined }),
  cluster("GATEWAY_URL a placeholder", ["--out", "WORK/out"], /^cluster:render: ERR_GATEWAY_URL_PLACEHOLDER: /, { GATEWAY_URL: "https://gateway.example.com" }),

  token("ci/deployer/extra (minted for ci:deployer)", ["ci/deployer/extra"], /^token: the service account is NAMESPACE\/NAME, one '\/' \(got "ci\/deployer\/extra"\)/),
  token("ci/deployer/../../x (minted for ci:deployer)", ["ci/deployer/../../x"], /^token: the service account is NAMESPACE\/NAME, one '\/'/),
  token("--duration 1s (exit 1)", ["ci/deployer", "--duration", "1s"], /^token: --duration must be at least 10m and at most 4294967296 s \(got "1s"\)/),
  token("--duration 9m", ["ci/deployer", "--duration", "9m"], /^token: --duration must be at least 10m/),
  token("--duration past 2^32 s", ["ci/deployer", "--duration", "2000000h"], /^token: --duration must be at least 10m and at most/),
  token("--duration soon", ["ci/deployer", "--duration", "soon"], /^token: --duration must be a duration/),
  token("--duration without a value", ["ci/deployer", "--duration"], /^token: Option '--duration <value>' argument missing/),
  token("--audience followed by an option", ["ci/deployer", "--audience", "--duration", "1h"], /^token: Option '--audience' argument is ambiguous\. Did you forget/),
  token("no service account", [], /^token: name the service account/),
  token("upper case", ["CI/Deployer"], /^token: namespace and service account must be RFC 1123 labels/),
  token("an empty name", ["ci/"], /^token: namespace and service account must be RFC 1123 labels/),
  token("two service accounts", ["a/b", "c/d"], /^token: one service account at a time/),
  token("--bogus", ["ci/deployer", "--bogus"], /^token: Unknown option '--bogus'/),

  connector("--rebuild-interval abc (written into the manifest)", ["--namespaces", "dev", "--rebuild-interval", "abc"], /^connector:render: ERR_MANIFEST_VALUE: env: rebuild_interval "abc" is not a duration/),
  connector("--rebuild-interval 1ms", ["--namespaces", "dev", "--rebuild-interval", "1ms"], /^connector:render: ERR_MANIFEST_VALUE: env: rebuild_interval must be at least 100 ms/),
  connector("--rebuild-interval empty", ["--namespaces", "dev", "--rebuild-interval="], /^connector:render: ERR_USAGE: --rebuild-interval needs a duration/),
  connector("--expiration-seconds 1e99 (written into the manifest)", ["--namespaces", "dev", "--expiration-seconds", "1e99"], /^connector:render: ERR_USAGE: --expiration-seconds takes a whole number of seconds \(got "1e99"\)/),
  connector("--expiration-seconds past 2^32", ["--namespaces", "dev", "--expiration-seconds", "4294967297"], /^connector:render: ERR_MANIFEST_VALUE: expirationSeconds must be a whole number from 600 to 4294967296/),
  connector("--expiration-seconds 599", ["--namespaces", "dev", "--expiration-seconds", "599"], /^connector:render: ERR_MANIFEST_VALUE: expirationSeconds must be/),
  connector("--expiration-seconds 0x300", ["--namespaces", "dev", "--expiration-seconds", "0x300"], /^connector:render: ERR_USAGE: --expiration-seconds takes a whole number/),
  connector(
    "--invoke outside --namespaces (a grant it can never use)",
    ["--namespaces", "dev,staging", "--invoke", "openfaas-fn:preview-janitor"],
    /^connector:render: ERR_MANIFEST_VALUE: invoke: openfaas-fn:preview-janitor is in namespace openfaas-fn, which namespaces does not list/,
  ),
  connector("--invoke not ns:fn", ["--namespaces", "dev", "--invoke", "preview-janitor"], /^connector:render: ERR_MANIFEST_VALUE: invoke: "preview-janitor" must be <namespace>:<function>/),
  connector("--namespaces without a value", ["--namespaces"], /^connector:render: ERR_USAGE: Option '--namespaces <value>' argument missing/),
  connector("--bogus", ["--namespaces", "dev", "--bogus"], /^connector:render: ERR_USAGE: Unknown option '--bogus'/),
  connector("--name empty", ["--namespaces", "dev", "--name="], /^connector:render: ERR_MANIFEST_VALUE: name: "" is not a Kubernetes name/),
  connector("--out /proc/nope", ["--namespaces", "dev", "--out", "/proc/nope"], /^connector:render: ERR_OUT_DIR: cannot write to --out \/proc\/nope: /),
  connector("--out under a regular file", ["--namespaces", "dev", "--out", "WORK/file/out"], /^connector:render: ERR_OUT_DIR: .*is not a folder$/),

  policy("check --audit without a value", ["check", "--audit"], /^policy: USAGE: Option '--audit <value>' argument missing \(npm run policy -- --help\)$/),
  policy("check --audit a folder without a log", ["check", "--audit", "WORK/empty"], /^policy: NO_AUDIT_LOG: no audit log in .*\/empty: expected audit\.ndjson/),
  policy("check --audit a path that does not exist", ["check", "--audit", "WORK/nowhere"], /^policy: NO_AUDIT_LOG: no audit log at .*\/nowhere/),
  policy("check --since yesterday", ["check", "--since", "yesterday"], /^policy: USAGE: --since takes an ISO 8601 time/),
  policy("check --bogus", ["check", "--bogus"], /^policy: USAGE: Unknown option '--bogus'/),
  policy("an unknown command", ["explode"], /^policy: USAGE: /),
];

describe("bad input to the command lines: exit 2, one line, no stack trace, nothing written", () => {
  it("covers every command with several cases", () => {
    for (const program of [CLUSTER, TOKEN, CONNECTOR, POLICY]) expect(cases.filter((c) => c[1] === program).length).toBeGreaterThanOrEqual(5);
  });

  it.each(cases)("%s", async (_what, program, args, env, line) => {
    work = mkdtempSync(join(scratch, "case-"));
    writeFileSync(join(work, "file"), "a regular file\n");
    mkdirSync(join(work, "empty"));
    const before = readdirSync(work, { recursive: true }).sort();
    const r = await runCommand(process.execPath, [program, ...args.map((a) => a.replace(/^WORK/, work))], env, 15_000);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^[^\n]+\n$/);
    expect(r.stderr.trimEnd()).toMatch(line);
    expect(r.stderr).not.toMatch(/\n\s+at |Error: /);
    expect(readdirSync(work, { recursive: true }).sort()).toEqual(before);
  });
});

describe("the help says what each option is", () => {
  it("connector:render --help describes each of its flags", async () => {
    const r = await runCommand(process.execPath, [CONNECTOR, "--help"]);
    expect(r.code).toBe(0);
    for (const flag of ["gateway-url", "namespaces", "image", "invoke", "name", "async", "rebuild-interval", "expiration-seconds", "out", "help"]) {
      expect(r.stdout, flag).toMatch(new RegExp(`^  (-h, )?--${flag}\\b.*\\S`, "m"));
    }
  });

  it("policy --help says what check's --audit takes", async () => {
    const r = await runCommand(process.execPath, [POLICY, "--help"]);
    expect(r.code).toBe(0);
    const check = r.stdout.slice(r.stdout.indexOf("\nCheck:"));
    expect(check).toMatch(/--audit PATH +the trail: the state folder\(s\) of the sandbox\(es\) your e2e tests ran/);
  });
});
