/**
 * The SDK loads undici as its Agent module alone (`undici/lib/dispatcher/agent.js`), not undici's
 * index, which also loads fetch, WebSocket, the cache and the mocks: after a first call, no module
 * of those is loaded. The module is the one undici's index exports `Agent` from, so the SDK's Agent
 * is undici's (an undici upgrade that moves it fails here, not in a function's first request).
 * Cost: one Node process, one call, under a second.
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { Agent } from "undici";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");

describe("undici, as the SDK loads it", () => {
  it("is its Agent module, the one undici's index exports Agent from", () => {
    const fromSdk = createRequire(resolve(repoRoot, "template/node-ts-iam/sdk/dist/http.js"))("undici/lib/dispatcher/agent.js") as unknown;
    expect(fromSdk).toBe(Agent);
  });

  it("is loaded by the first call without fetch, WebSocket, the cache or the mocks", async () => {
    const script = `
      import { createServer } from "node:http";
      import { createRequire } from "node:module";
      const server = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('["dev"]'));
      await new Promise((r) => server.listen(0, "127.0.0.1", r));
      const { Client } = await import("@node-ts-iam/sdk");
      const client = new Client({ gatewayURL: "http://127.0.0.1:" + server.address().port });
      const namespaces = await client.getNamespaces();
      server.close();
      const undici = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes("/node_modules/undici/")).map((f) => f.slice(f.indexOf("/node_modules/undici/") + 21));
      process.stdout.write(JSON.stringify({ namespaces, undici }));
      process.exit(0);
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: repoRoot, timeout: 30_000 });
    const { namespaces, undici } = JSON.parse(stdout) as { namespaces: string[]; undici: string[] };
    expect(namespaces).toEqual(["dev"]);
    expect(undici).toContain("lib/dispatcher/agent.js");
    expect(undici.filter((file) => file === "index.js" || /^lib\/(web|cache|mock|interceptor)\//.test(file))).toEqual([]);
  });
});
