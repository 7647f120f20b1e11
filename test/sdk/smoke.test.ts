import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Client, ServiceAccountTokenSource, TokenAuth } from "@node-ts-iam/sdk";
import { json, saToken, startFakeGateway, type FakeGateway } from "./helpers.js";

let gw: FakeGateway | undefined;
let dir: string | undefined;
afterEach(async () => {
  await gw?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  gw = undefined;
  dir = undefined;
});

describe("smoke", () => {
  it("exchanges the service account token once and lists functions", async () => {
    gw = await startFakeGateway({
      api: (req, res) => json(res, 200, [{ name: "a", image: "img", namespace: req.url.searchParams.get("namespace") }]),
    });
    dir = await mkdtemp(join(tmpdir(), "sdk-smoke-"));
    const sa = saToken();
    await writeFile(join(dir, "openfaas-token"), `${sa}\n`);
    const auth = new TokenAuth({ source: new ServiceAccountTokenSource({ directory: dir }), tokenURL: `${gw.url}/oauth/token` });
    const client = new Client({ gatewayURL: gw.url, auth });
    const fns = await Promise.all([client.getFunctions("dev"), client.getFunctions("dev")]);
    expect(fns[0]).toEqual([{ name: "a", image: "img", namespace: "dev" }]);
    expect(gw.exchanges).toHaveLength(1);
    const form = new URLSearchParams(gw.exchanges[0]!.body);
    expect(form.get("subject_token")).toBe(sa);
    expect(form.get("grant_type")).toBe("urn:ietf:params:oauth:grant-type:token-exchange");
  });

  it("reuses keep-alive connections for sequential calls", async () => {
    gw = await startFakeGateway({ api: (_req, res) => json(res, 200, []) });
    let connections = 0;
    gw.server.on("connection", () => connections++);
    dir = await mkdtemp(join(tmpdir(), "sdk-smoke-"));
    await writeFile(join(dir, "openfaas-token"), saToken());
    const client = new Client({ gatewayURL: gw.url, auth: new TokenAuth({ source: new ServiceAccountTokenSource({ directory: dir }), tokenURL: `${gw.url}/oauth/token` }) });
    for (let i = 0; i < 30; i++) await client.getFunctions("dev");
    expect(gw.seen).toHaveLength(31);
    // The exchange and the first call may open one connection each; after that they are reused.
    expect(connections).toBeLessThanOrEqual(2);
  });
});
