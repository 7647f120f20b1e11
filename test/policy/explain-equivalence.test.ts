/**
 * One engine: `policy explain` gives the live gateway's answer. A sandbox loads the samples' IAM
 * objects, the connectors' (rendered as the sandbox renders them) and generated ones
 * (support/generated-iam.ts, seeded: EXPLAIN_SEED replays a run); generated subject tokens (real
 * service account tokens, tokens with arbitrary claims from a second cluster key and from an IdP,
 * a few from an unregistered issuer or for another audience) are exchanged, and each asks a batch of
 * API calls and function tokens at once. Every decision the audit log records is then asked of
 * explain, with the token's claims and the project as `policy explain` loads it: allow/deny and the
 * audit reason must be equal on every one, and there must be at least 10,000.
 *
 * Cost: one sandbox without function processes, about 10,000 decisions over HTTP in batches.
 */
import { readFileSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditLine } from "../../sandbox/src/audit-log.js";
import { startSandbox } from "../../sandbox/src/index.js";
import { KUBERNETES_ISSUER, ServiceAccountIssuer } from "../../sandbox/src/issuer/service-account-issuer.js";
import { explain, explainModel, type ExplainModel } from "../../sandbox/src/policy/explain.js";
import { loadProject } from "../../sandbox/src/policy/identity.js";
import { findStackFile } from "../../sandbox/src/project.js";
import { connectorIamManifests, readSandboxConnectors, renderSandboxConnectors } from "../../sandbox/src/runner/connector-deployments.js";
import type { Sandbox } from "../../sandbox/src/types.js";
import { basic, bearer, exchange, GRANT, ID_TOKEN } from "../sandbox/helpers.js";
import { EXPLAIN_SEED, generatedManifests, generatedRequest, generatedToken, IDP_ISS, NAMESPACES, Random, type GeneratedRequest, type TokenKind } from "./support/generated-iam.js";

const REPO = resolve(import.meta.dirname, "../..");
const SEED = EXPLAIN_SEED;
const MIN_CASES = 10_000;
/** Requests of one subject token, sent at once. */
const BATCH = 24;

let sandbox: Sandbox;
let idp: ServiceAccountIssuer;
let clusterAlt: ServiceAccountIssuer;
let dir: string;
let model: ExplainModel;
const random = new Random(SEED);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "explain-equivalence-"));
  idp = await ServiceAccountIssuer.start({ iss: IDP_ISS });
  clusterAlt = await ServiceAccountIssuer.start({ iss: KUBERNETES_ISSUER });
  const generated = join(dir, "generated.yaml");
  await writeFile(generated, generatedManifests(random, { idp: idp.url, clusterAlt: clusterAlt.url }));
  // The sandbox reads the connectors' objects from a file here (running connectors would add their
  // own decisions to the log); explain renders them itself, as `policy explain` does.
  const connectors = join(dir, "connectors.yaml");
  const [rendered] = connectorIamManifests(renderSandboxConnectors(await readSandboxConnectors(REPO), 3600));
  await writeFile(connectors, rendered!.text);
  sandbox = await startSandbox({ root: REPO, runFunctions: false, manifestPaths: [generated, connectors], audit: { maxBytes: 256 * 1024 * 1024 } });
  model = explainModel((await loadProject(REPO, findStackFile(REPO)!, [generated])).manifests, sandbox.url);
  for (const ns of NAMESPACES.filter((n) => n !== "openfaas-fn")) {
    const res = await fetch(`${sandbox.url}/system/namespace/`, { method: "POST", headers: { authorization: basic(sandbox), "content-type": "application/json" }, body: JSON.stringify({ name: ns }) });
    expect(res.status).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
  await idp?.stop();
  await clusterAlt?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function subjectToken(t: TokenKind): Promise<string> {
  if (t.kind === "service-account") return sandbox.issuer.mint({ namespace: t.namespace, serviceAccount: t.name });
  return (t.by === "idp" ? idp : clusterAlt).sign(t.claims);
}

/** Sends one request as the caller with `access`; the answer does not matter, the audit line does. */
async function send(access: string, { action, resource }: GeneratedRequest): Promise<void> {
  const [ns, fn] = resource.split(":") as [string, string];
  const json = (method: string, path: string, body: unknown) => ({ method, path, body: JSON.stringify(body) });
  const deployment = { service: fn, image: "ghcr.io/example/fn:1", namespace: ns };
  const requests: Record<string, () => { method: string; path: string; body?: string }> = {
    "Function:List": () => ({ method: "GET", path: `/system/functions?namespace=${ns}` }),
    "Function:Get": () => ({ method: "GET", path: `/system/function/${fn}?namespace=${ns}` }),
    "Function:Create": () => json("POST", "/system/functions", deployment),
    "Function:Update": () => json("PUT", "/system/functions", deployment),
    "Function:Delete": () => json("DELETE", "/system/functions", { functionName: fn, namespace: ns }),
    "Function:Scale": () => json("POST", `/system/scale-function/${fn}`, { serviceName: fn, namespace: ns, replicas: 1 }),
    "Function:Logs": () => ({ method: "GET", path: `/system/logs?name=${fn}&namespace=${ns}` }),
    "Secret:List": () => ({ method: "GET", path: `/system/secrets?namespace=${ns}` }),
    "Secret:Create": () => json("POST", "/system/secrets", { name: "s1", namespace: ns, value: "v" }),
    "Secret:Update": () => json("PUT", "/system/secrets", { name: "s1", namespace: ns, value: "v" }),
    "Secret:Delete": () => json("DELETE", "/system/secrets", { name: "s1", namespace: ns }),
    "Namespace:List": () => ({ method: "GET", path: "/system/namespaces" }),
    "Namespace:Get": () => ({ method: "GET", path: `/system/namespace/${ns}` }),
    "Namespace:Create": () => json("POST", "/system/namespace/", { name: ns }),
    "Namespace:Update": () => json("PUT", `/system/namespace/${ns}`, { name: ns }),
    "Namespace:Delete": () => ({ method: "DELETE", path: `/system/namespace/${ns}` }),
    "System:Info": () => ({ method: "GET", path: "/system/info" }),
  };
  if (action === "Function:Invoke") {
    await exchange(sandbox.url, { grant_type: GRANT, subject_token_type: ID_TOKEN, subject_token: access, scope: "function", audience: resource });
    return;
  }
  const { method, path, body } = requests[action]!();
  const res = await fetch(`${sandbox.url}${path}`, { method, headers: { authorization: bearer(access), ...(body ? { "content-type": "application/json" } : {}) }, ...(body ? { body } : {}) });
  await res.arrayBuffer();
}

describe("policy explain against the live gateway", () => {
  it(`gives the gateway's decision and audit reason on every one of ${MIN_CASES}+ generated cases (seed ${SEED})`, async () => {
    const batches: { claims: Record<string, unknown>; from: number; to: number; requests: GeneratedRequest[] }[] = [];
    const size = () => statSync(sandbox.auditLog).size;
    let expected = 0;
    while (expected < MIN_CASES * 1.05) {
      const token = await subjectToken(generatedToken(random, Math.floor(Date.now() / 1000)));
      const claims = decodeJwt(token) as Record<string, unknown>;
      const from = size();
      const r = await exchange(sandbox.url, { grant_type: GRANT, subject_token_type: ID_TOKEN, subject_token: token });
      const requests = Array.from({ length: BATCH }, () => generatedRequest(random));
      if (r.status === 200) {
        // Every request of a token at once; one namespace listing adds a decision per namespace.
        await Promise.all([...requests, { action: "Namespace:List", resource: "" }].map((q) => send(String(r.body["access_token"]), q)));
        expected += requests.length + NAMESPACES.length;
      }
      batches.push({ claims, from, to: size(), requests: r.status === 200 ? requests : [] });
    }

    const log = readFileSync(sandbox.auditLog);
    let decisions = 0;
    let exchanges = 0;
    const mismatches: string[] = [];
    for (const b of batches) {
      const lines = log.subarray(b.from, b.to).toString("utf8").trim().split("\n").map((l) => JSON.parse(l) as AuditLine);
      const decided = lines.filter((l) => l.action !== "Token:Exchange");
      // Every request left its decision (none was refused before the gateway decided).
      expect(decided.filter((l) => l.action !== "Namespace:List").length).toBe(b.requests.length);
      expect(lines[0]!.action).toBe("Token:Exchange");
      for (const [i, line] of lines.entries()) {
        // The first line is the subject token's exchange; later exchange lines are a function token's bookkeeping.
        if (i > 0 && line.action === "Token:Exchange") continue;
        const e = explain(model, b.claims, { action: i === 0 ? "System:Info" : line.action, resource: i === 0 ? "*" : line.resource, functionToken: line.action === "Function:Invoke" });
        const answer = i === 0 ? e.exchange : e;
        if (i === 0) exchanges++;
        else decisions++;
        if (answer.allowed !== line.allowed || answer.reason !== line.reason) {
          mismatches.push(`${String(b.claims["sub"])} ${line.action} ${line.resource}: gateway ${line.allowed} "${line.reason}", explain ${answer.allowed} "${answer.reason}"`);
        }
      }
    }
    console.log(`explain equivalence (seed ${SEED}): ${decisions} decisions and ${exchanges} exchanges of ${batches.length} subject tokens, all equal: ${mismatches.length === 0}`);
    expect(mismatches.slice(0, 10), `seed ${SEED}`).toEqual([]);
    expect(decisions).toBeGreaterThanOrEqual(MIN_CASES);
    // The cases are not one-sided: both answers, every action, and refusals at each step.
    const answers = batches.flatMap((b) => b.requests.map((q) => explain(model, b.claims, { ...q, functionToken: q.action === "Function:Invoke" })));
    expect(answers.filter((a) => a.allowed).length).toBeGreaterThan(decisions / 20);
    expect(answers.filter((a) => !a.allowed).length).toBeGreaterThan(decisions / 20);
    expect(new Set(batches.flatMap((b) => b.requests.map((q) => q.action))).size).toBe(17);
    const decisive = answers.filter((a) => a.allowed).map((a) => a.statements.at(-1)!);
    const conditional = decisive.filter((s) => s.conditions.length > 0);
    const onAccessClaims = conditional.filter((s) => s.conditions.some((c) => c.key === "jwt:fed:iss" || c.key === "jwt:sub"));
    const deniedByCondition = answers.filter((a) => !a.allowed && a.statements.some((s) => s.action && s.resource && s.conditions.some((c) => !c.held)));
    // Conditions decide both ways, some on the claims only the access token has (fed:iss, the fed: sub).
    expect([conditional.length, onAccessClaims.length, deniedByCondition.length].map((n) => n >= 50)).toEqual([true, true, true]);
    expect(new Set(batches.map((b) => explain(model, b.claims, { action: "System:Info", resource: "*", functionToken: false }).decidedBy))).toEqual(new Set(["issuer", "roles", "statements"]));
  }, 240_000);
});
