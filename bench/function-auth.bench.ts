/**
 * What function authentication costs an invocation: the same handler (the sandbox test fixture's
 * `whoami`, `GET /env`) called straight at its process (the baseline: the function alone), through
 * the gateway and its pod's watchdog stand-in without `jwt_auth`, with `jwt_auth=true` and a
 * function token (one ES256 verification per call, as of-watchdog does), and without a token (the
 * watchdog's 401, which never reaches the function). Ratios are against the baseline of this run.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { StaticTokenSource, TokenAuth } from "@node-ts-iam/sdk";
import { Agent, fetch } from "undici";
import { startSandbox } from "@node-ts-iam/sandbox";
import { load, type LoadResult } from "./load.js";
import type { BenchModule } from "./report.js";

const CONCURRENCY = 16;
const SECONDS = 6;

/** Two deployments of the fixture handler, one with function authentication. */
function stackFor(handler: string): string {
  const fn = (name: string, jwtAuth: boolean) => `  ${name}:
    lang: node-ts-iam
    handler: ${handler}
    image: bench.local/${name}:latest
    namespace: dev
    annotations:
      com.openfaas.serviceaccount: whoami
    environment:
      LIST_NAMESPACE: dev${jwtAuth ? '\n      jwt_auth: "true"' : ""}
`;
  return `version: 1.0\nprovider:\n  name: openfaas\n  gateway: http://127.0.0.1:8080\nfunctions:\n${fn("whoami", true)}${fn("open-whoami", false)}`;
}

const bench: BenchModule = async (log) => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../test/sandbox/fixtures/root");
  const dir = await mkdtemp(join(tmpdir(), "bench-function-auth-"));
  await writeFile(join(dir, "stack.yml"), stackFor(join(root, "functions", "whoami")));
  log("function-auth: starting an ephemeral sandbox with the fixture function, with and without jwt_auth");
  // The fixture root holds functions only: they run on this checkout's template server (built by npm run build).
  const templateServer = resolve(dirname(fileURLToPath(import.meta.url)), "../../template/node-ts-iam/dist/main.js");
  const sandbox = await startSandbox({ root, stackFile: join(dir, "stack.yml"), runFunctions: true, templateServer });
  let direct: Agent | undefined;
  try {
    // The fixture's service account may invoke dev:*; one exchange, then the function token is cached.
    const caller = new TokenAuth({
      source: new StaticTokenSource(await sandbox.issuer.mint({ namespace: "dev", serviceAccount: "whoami" })),
      tokenURL: `${sandbox.url}/oauth/token`,
    }).forFunction("whoami", "dev");
    const authorization = `Bearer ${await caller.token()}`;
    // The function's process listens on a Unix socket that only its watchdog stand-in is meant to reach;
    // the bench reaches it too, to measure the function alone. Every row uses undici's fetch, this one with
    // a dispatcher for the socket.
    const envOf = (await (await fetch(`${sandbox.url}/function/open-whoami.dev/env`)).json()) as { socket: string };
    direct = new Agent({ connect: { socketPath: envOf.socket } });
    const get = (url: string, headers: Record<string, string>, expected: number, dispatcher?: Agent) => async (): Promise<boolean> => {
      const res = await fetch(url, { headers, ...(dispatcher ? { dispatcher } : {}) });
      await res.arrayBuffer();
      return res.status === expected;
    };
    const runs: [string, () => Promise<boolean>][] = [
      ["the function's process directly, on its socket (baseline)", get("http://localhost/env", {}, 200, direct)],
      ["gateway + watchdog, no jwt_auth", get(`${sandbox.url}/function/open-whoami.dev/env`, {}, 200)],
      ["gateway + watchdog, jwt_auth, function token", get(`${sandbox.url}/function/whoami.dev/env`, { authorization }, 200)],
      ["gateway + watchdog, jwt_auth, no token (401)", get(`${sandbox.url}/function/whoami.dev/env`, {}, 401)],
    ];
    // Every path once before measuring any: JIT, connection pools and the token cache warm up alike.
    log("function-auth: warming up every path, 1 s each");
    for (const [, once] of runs) await load(CONCURRENCY, 1, once);
    const results: [string, LoadResult][] = [];
    for (const [name, once] of runs) {
      log(`function-auth: ${name}, ${CONCURRENCY} callers, ${SECONDS} s`);
      results.push([name, await load(CONCURRENCY, SECONDS, once)]);
    }
    const baseline = results[0]![1].rps;
    return [
      {
        title: "Function authentication (GET /env of the fixture function)",
        columns: ["path", "req/s", "p50 ms", "p99 ms", "requests", "errors", "vs baseline"],
        rows: results.map(([name, r]) => [name, Math.round(r.rps), r.p50.toFixed(2), r.p99.toFixed(2), r.requests, r.errors, (r.rps / baseline).toFixed(2)]),
        notes: [`${CONCURRENCY} concurrent callers (fetch, keep-alive) in this process, ${SECONDS} s each; the gateway and the watchdogs share this process, the function runs in its own.`],
      },
    ];
  } finally {
    await direct?.close();
    await sandbox.stop();
    await rm(dir, { recursive: true, force: true });
  }
};

export default bench;
