/**
 * `setTransport`: the one way to choose how the SDK sends. Every request of the process goes
 * through the dispatcher it sets (API calls, function invocations, token exchanges,
 * client-credentials requests); without an argument the SDK's own keep-alive Agent is back.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Agent, MockAgent, type Dispatcher } from "undici";
import { Client, ClientCredentialsTokenSource, exchangeToken, setTransport, StaticTokenSource, TokenAuth } from "@node-ts-iam/sdk";
import { fakeJwt, json, saToken, startFakeGateway, startServer, type FakeGateway, type TestServer } from "./helpers.js";

/** An Agent that records each request it dispatches (what a proxy or a custom CA agent would see). */
class RecordingAgent extends Agent {
  readonly seen: string[] = [];
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    this.seen.push(`${options.method} ${String(options.path).split("?")[0]}`);
    return super.dispatch(options, handler);
  }
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  setTransport();
  for (const close of closers.splice(0)) await close();
});

async function gateway(): Promise<FakeGateway> {
  const gw = await startFakeGateway({
    api: (req, res) => (req.url.pathname.startsWith("/function/") ? json(res, 200, { invoked: true }) : json(res, 200, ["dev"])),
  });
  closers.push(() => gw.close());
  return gw;
}

function recording(): RecordingAgent {
  const agent = new RecordingAgent();
  closers.push(() => agent.close());
  return agent;
}

describe("setTransport", () => {
  it("sends API calls, exchanges, function tokens and invocations through the dispatcher it sets", async () => {
    const gw = await gateway();
    const agent = recording();
    setTransport(agent);
    const client = new Client({ gatewayURL: gw.url, auth: new TokenAuth({ source: new StaticTokenSource(saToken()), tokenURL: `${gw.url}/oauth/token` }) });
    expect(await client.getNamespaces()).toEqual(["dev"]);
    expect((await client.invokeFunction("hello", "dev", { functionAuth: true })).status).toBe(200);
    await exchangeToken({ tokenURL: `${gw.url}/oauth/token`, subjectToken: saToken() });
    expect(agent.seen).toEqual([
      "POST /oauth/token",
      "GET /system/namespaces",
      "POST /oauth/token",
      "POST /function/hello.dev",
      "POST /oauth/token",
    ]);
    expect(gw.seen).toHaveLength(5);
  });

  it("covers a client-credentials request to an IdP too", async () => {
    const idp: TestServer = await startServer((_req, res) => json(res, 200, { access_token: fakeJwt({ sub: "ci" }), token_type: "Bearer", expires_in: 300 }));
    closers.push(() => idp.close());
    const agent = recording();
    setTransport(agent);
    const source = new ClientCredentialsTokenSource({ tokenURL: `${idp.url}/token`, clientId: "ci", clientSecret: "s3cret" });
    await source.token();
    expect(agent.seen).toEqual(["POST /token"]);
  });

  it("lets a test answer without any server (undici's MockAgent)", async () => {
    const mock = new MockAgent();
    mock.disableNetConnect();
    closers.push(() => mock.close());
    mock.get("http://gateway.test").intercept({ path: "/system/info", method: "GET" }).reply(200, { arch: "x86_64", provider: null, version: null });
    setTransport(mock);
    const client = new Client({ gatewayURL: "http://gateway.test", retries: 0 });
    expect(await client.getInfo()).toEqual({ arch: "x86_64", provider: null, version: null });
    mock.assertNoPendingInterceptors();
  });

  it("without an argument, restores the SDK's own Agent", async () => {
    const gw = await gateway();
    const agent = recording();
    setTransport(agent);
    const client = new Client({ gatewayURL: gw.url, auth: new TokenAuth({ source: new StaticTokenSource(saToken()), tokenURL: `${gw.url}/oauth/token` }) });
    await client.getNamespaces();
    setTransport();
    await client.getNamespaces();
    expect(agent.seen).toEqual(["POST /oauth/token", "GET /system/namespaces"]);
    expect(gw.seen).toHaveLength(3);
  });
});
