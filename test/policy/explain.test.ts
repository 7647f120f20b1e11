/**
 * `npm run policy -- explain` on this repository's IAM objects: the documented cron-connector example
 * word for word, a stack function, an IdP user with claims, real tokens (audience, unregistered
 * issuer, expiry), JSON; bad input is one line with a stable code and exit 2, and nothing it prints
 * holds the token (a canary of real size through every path).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KUBERNETES_ISSUER, ServiceAccountIssuer } from "../../sandbox/src/issuer/service-account-issuer.js";
import { DEFAULT_GATEWAY_URL } from "../../sandbox/src/policy/explain.js";
import { main } from "../../sandbox/src/policy/policy-cli.js";

const repo = resolve(import.meta.dirname, "../..");
const CLI = join(repo, "sandbox/dist/policy/policy-cli.js");
const CONNECTOR = "system:serviceaccount:openfaas:cron-connector";
let dir: string;
let issuer: ServiceAccountIssuer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "policy-explain-"));
  issuer = await ServiceAccountIssuer.start();
});
afterAll(async () => {
  await issuer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function explain(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(["explain", "--root", repo, ...argv], (t) => (stdout += t), (t) => (stderr += t));
  return { code, stdout, stderr };
}

let files = 0;
function tokenFile(text: string): string {
  const file = join(dir, `token-${++files}`);
  writeFileSync(file, text);
  return file;
}

describe("policy explain", () => {
  it("sandbox/docs/policy.md's worked example on the cron-connector is what it prints", async () => {
    const text = readFileSync(join(repo, "sandbox/docs/policy.md"), "utf8");
    const block = /<!-- policy:explain-cron-connector -->\s*```text\n([\s\S]*?)```/.exec(text)?.[1];
    expect(block, "sandbox/docs/policy.md: <!-- policy:explain-cron-connector --> then a text block").toBeDefined();
    const runs = block!.split(/^\$ npm run -s policy -- /m).slice(1);
    expect(runs).toHaveLength(2);
    const codes: number[] = [];
    for (const run of runs) {
      const [command, ...output] = run.split("\n");
      const argv = command!.split(" ").map((a) => a.replace(/^'(.*)'$/, "$1"));
      let stdout = "";
      codes.push(await main([...argv, "--root", repo], (t) => (stdout += t), () => {}));
      expect(stdout).toBe(output.join("\n"));
    }
    // May it list dev? Yes. May it invoke openfaas-fn:ns-admin? No.
    expect(codes).toEqual([0, 1]);
  });

  it("--function reads the stack's service account: ns-admin may create in dev, not in staging", async () => {
    const dev = await explain("--function", "openfaas-fn:ns-admin", "--action", "Function:Create", "--resource", "dev:api");
    expect(dev.code).toBe(0);
    expect(dev.stdout).toMatch(/^allow: function openfaas-fn:ns-admin \(system:serviceaccount:openfaas-fn:ns-admin\) may Function:Create on dev:api\n {2}reason \(as the audit log writes it\): ns-admin-dev\/manage-dev\n/);
    const staging = await explain("--function", "ns-admin", "--action", "Function:Create", "--resource", "staging:api");
    expect(staging.code).toBe(1);
    expect(staging.stdout).toContain("  reason (as the audit log writes it): no statement of [ns-admin-dev] allows it\n");
    expect(staging.stdout).toContain("  ns-admin-dev/manage-dev: action Function:Create; resource staging:api is not in [dev:*]\n  none allows it\n");
  });

  it("an IdP user: the Role's conditions with the claim values, and no Role at all without the group", async () => {
    const operator = await explain("--subject", "alice@example.com", "--issuer", "example-idp", "--claim", "groups=platform-operators", "--claim", "groups=ops", "--invoke", "openfaas-fn:ns-admin");
    expect(operator.code, operator.stdout).toBe(0);
    expect(operator.stdout).toContain('  match  platform-operators (functions/callers/iam/role-platform-operators.yaml#1): grants operators-invoke-privileged-functions\n           condition: StringEqual jwt:iss "https://idp.example.com" holds for [https://idp.example.com]\n           condition: ForAnyValue:StringEqual jwt:groups ["platform-operators","ops"] holds for [platform-operators]\n');
    const outsider = await explain("--subject", "bob", "--issuer", "https://idp.example.com", "--invoke", "openfaas-fn:ns-admin");
    expect(outsider.code).toBe(1);
    expect(outsider.stdout).toMatch(/^deny: bob may not get a function token for openfaas-fn:ns-admin \(Function:Invoke\)\n {2}reason \(as the audit log writes it\): No policies found for subject: bob\n/);
    expect(outsider.stdout).toContain("no Role matches: the exchange is refused, so no access token");
  });

  it("--token: a real token's claims, its audience checked against the gateway, an unregistered issuer refused as the gateway refuses it, an expired one noted", async () => {
    const token = await issuer.mint({ namespace: "ci", serviceAccount: "deployer", audience: DEFAULT_GATEWAY_URL });
    const allowed = await explain("--token", tokenFile(`${token}\n`), "--invoke", "openfaas-fn:tenant-provisioner");
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain("reason (as the audit log writes it): invoke-privileged-functions/invoke-ns-admin-and-tenant-provisioner\n");
    expect(allowed.stdout).toContain("note: claims read from ");

    const elsewhere = tokenFile(await issuer.mint({ namespace: "ci", serviceAccount: "deployer", audience: "https://gateway.example.com" }));
    const wrongAudience = await explain("--token", elsewhere, "--invoke", "openfaas-fn:tenant-provisioner");
    expect(wrongAudience.code).toBe(1);
    expect(wrongAudience.stdout).toContain(`reason (as the audit log writes it): subject_token audience (aud) is not accepted: not valid for JwtIssuer 'kubernetes' (accepted: ${DEFAULT_GATEWAY_URL})\n`);
    expect(wrongAudience.stdout).toContain("refused before any Role is matched");
    expect((await explain("--token", elsewhere, "--gateway", "https://gateway.example.com", "--invoke", "openfaas-fn:tenant-provisioner")).code).toBe(0);

    const stranger = await ServiceAccountIssuer.start({ iss: "https://cluster.other.test" });
    try {
      const r = await explain("--token", tokenFile(await stranger.mint({ namespace: "ci", serviceAccount: "deployer", audience: DEFAULT_GATEWAY_URL })), "--action", "System:Info", "--resource", "*");
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("reason (as the audit log writes it): issuer 'https://cluster.other.test' is not registered (no JwtIssuer with this iss)\n");
    } finally {
      await stranger.stop();
    }

    const old = await issuer.mint({ namespace: "ci", serviceAccount: "deployer", audience: DEFAULT_GATEWAY_URL, expirationSeconds: 600 }, new Date(Date.now() - 3_600_000));
    const expired = await explain("--token", tokenFile(old), "--invoke", "openfaas-fn:ns-admin");
    expect(expired.code).toBe(0);
    expect(expired.stdout).toMatch(/note: the token expired at \S+: the gateway would refuse it now; this answers for its claims\n/);
  });

  it("--json: the decision, the exchange, every Role and statement with the claim values", async () => {
    const r = await explain("--subject", CONNECTOR, "--action", "Namespace:List", "--resource", "staging:*", "--json");
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as Record<string, unknown> & { roles: { name: string; matched: boolean; conditions: unknown[] }[]; statements: unknown[] };
    expect(j).toMatchObject({ decision: "deny", reason: "no statement of [cron-connector] allows it", decidedBy: "statements", request: { action: "Namespace:List", resource: "staging:*", functionToken: false }, exchange: { allowed: true, reason: "policies cron-connector" }, policies: ["cron-connector"] });
    expect(j.roles.filter((role) => role.matched).map((role) => role.name)).toEqual(["cron-connector"]);
    expect(j.roles.find((role) => role.name === "cron-connector")!.conditions).toEqual([{ operator: "StringEqual", key: "jwt:iss", values: [KUBERNETES_ISSUER], claim: KUBERNETES_ISSUER, held: true }]);
    expect(j.statements).toEqual([
      { policy: "cron-connector", sid: "list-scheduled-functions", action: "Namespace:List", resource: null, conditions: [], allowed: false },
      { policy: "cron-connector", sid: "invoke-with-function-token", action: null, resource: null, conditions: [], allowed: false },
    ]);
  });

  it("as a process: exit 0 allowed, 1 denied, 2 bad input", () => {
    const run = (...argv: string[]) => spawnSync(process.execPath, [CLI, "explain", ...argv], { encoding: "utf8", cwd: repo });
    expect(run("--subject", CONNECTOR, "--action", "Function:List", "--resource", "dev:*").status).toBe(0);
    expect(run("--subject", CONNECTOR, "--invoke", "openfaas-fn:ns-admin").status).toBe(1);
    const bad = run("--subject", CONNECTOR, "--action", "Function:List", "--resource", "dev");
    expect([bad.status, bad.stdout]).toEqual([2, ""]);
  });
});

describe("policy explain: bad input is one line, exit 2", () => {
  let notJwt: string;
  let noSub: string;
  let broken: string;
  beforeAll(async () => {
    notJwt = tokenFile("this is not a token\n");
    noSub = tokenFile(await issuer.sign({ iss: KUBERNETES_ISSUER, aud: [DEFAULT_GATEWAY_URL], exp: Math.floor(Date.now() / 1000) + 600 }));
    broken = join(dir, "broken");
    mkdirSync(broken);
    writeFileSync(join(broken, "policy.yaml"), "apiVersion: iam.openfaas.com/v1\nkind: Policy\nmetadata: {name: p\n");
  });
  const request = ["--action", "Function:List", "--resource", "dev:*"];

  it.each([
    ["an unknown subject format", () => ["--subject", "ci/deployer", ...request], "BAD_SUBJECT", "got \"ci/deployer\" (did you mean system:serviceaccount:ci:deployer?)"],
    ["a subject with a space", () => ["--subject", "ci deployer", "--issuer", "example-idp", ...request], "BAD_SUBJECT", "--subject must be a token subject"],
    ["a function the stack does not have", () => ["--function", "openfaas-fn:nope", ...request], "UNKNOWN_FUNCTION", "function nope is not in"],
    ["a function in another namespace", () => ["--function", "dev:ns-admin", ...request], "UNKNOWN_FUNCTION", "function ns-admin is deployed to namespace openfaas-fn"],
    ["an issuer nobody trusts", () => ["--subject", CONNECTOR, "--issuer", "nobody", ...request], "UNKNOWN_ISSUER", 'names no JwtIssuer the gateway trusts; trusted: kubernetes (https://kubernetes.default.svc.cluster.local), example-idp (https://idp.example.com)'],
    ["a token file that does not exist", () => ["--token", join(dir, "nowhere"), ...request], "BAD_TOKEN", "cannot be read (ENOENT)"],
    ["a folder as token file", () => ["--token", dir, ...request], "BAD_TOKEN", "is not a file"],
    ["a file that holds no JWT", () => ["--token", notJwt, ...request], "BAD_TOKEN", "the file is not a signed JWT"],
    ["a token without sub", () => ["--token", noSub, ...request], "BAD_TOKEN", "the token has no sub claim"],
    ["a resource without :", () => ["--subject", CONNECTOR, "--action", "Function:List", "--resource", "dev"], "BAD_RESOURCE", '--resource "dev" has no ":"'],
    ["a resource of the wrong shape", () => ["--subject", CONNECTOR, "--action", "Function:List", "--resource", "dev:api"], "BAD_RESOURCE", "Function:List is checked on dev:*, not \"dev:api\""],
    ["an action the gateway never checks", () => ["--subject", CONNECTOR, "--action", "Function:Deploy", "--resource", "dev:api"], "BAD_ACTION", "(did you mean Function:Create?)"],
    ["a function token for no function", () => ["--subject", CONNECTOR, "--invoke", "ns-admin"], "BAD_RESOURCE", "--invoke takes <namespace>:<function>"],
    ["a manifest that does not parse", () => ["--subject", CONNECTOR, "--manifests", broken, ...request], "BAD_MANIFESTS", "invalid YAML"],
  ])("%s", async (_label, argv, code, text) => {
    const r = await explain(...argv());
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n")).toEqual([expect.stringMatching(new RegExp(`^policy: ${code}: `)), ""]);
    expect(r.stderr).toContain(text);
  });

  it.each([
    [[], "explain needs one identity"],
    [["--subject", CONNECTOR, "--token", "x", ...request], "explain needs one identity"],
    [["--subject", CONNECTOR], "explain needs a request"],
    [["--subject", CONNECTOR, "--action", "Function:List"], "explain needs a request"],
    [["--token", "x", "--issuer", "kubernetes", ...request], "--issuer and --claim go with --subject or --function"],
    [["--subject", CONNECTOR, "--claim", "iss=x", ...request], "--claim cannot set iss"],
    [["--subject", CONNECTOR, "--gateway", "not a url", ...request], "--gateway takes the gateway's public URL"],
    [["--subject", CONNECTOR, "--audit", "x", ...request], "--audit goes with suggest, diff or check"],
  ])("usage %j: exit 2, one line naming the problem and where the usage is", async (argv, text) => {
    const r = await explain(...argv);
    expect([r.code, r.stdout]).toEqual([2, ""]);
    expect(r.stderr).toContain(`policy: USAGE: ${text}`);
    expect(r.stderr).toMatch(/\(npm run policy -- --help\)\n$/);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("never prints the token, nor any part of it (a canary of real size, through every path)", async () => {
    const canary = await issuer.sign({ iss: KUBERNETES_ISSUER, sub: "system:serviceaccount:ci:deployer", aud: [DEFAULT_GATEWAY_URL], exp: Math.floor(Date.now() / 1000) + 600, pad: "c".repeat(500) });
    expect(canary.length).toBeGreaterThan(1000);
    const [h, p, s] = canary.split(".");
    const hs256 = `${Buffer.from(JSON.stringify({ alg: "HS256" })).toString("base64url")}.${p}.${s}`;
    const cases = [canary, `${canary}\n`, `${h}.${p}`, hs256, `${canary}x!`, `${p}.${s}.${h}`];
    for (const text of cases) {
      const file = tokenFile(text);
      for (const extra of [[], ["--json"]]) {
        const r = await explain("--token", file, "--invoke", "openfaas-fn:ns-admin", ...extra);
        for (let i = 0; i + 24 <= canary.length; i += 12) expect(r.stdout + r.stderr, `${text.length} ${extra.join("")}`).not.toContain(canary.slice(i, i + 24));
      }
    }
  });
});
