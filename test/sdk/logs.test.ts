import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Client, InvalidArgumentError, InvalidResponseError, NotFoundError, StaticTokenSource, TimeoutError, TokenAuth, type LogMessage } from "@node-ts-iam/sdk";
import { startFakeGateway, type FakeGateway, type SeenRequest } from "./helpers.js";

let gw: FakeGateway;
let client: Client;
let handler: (req: SeenRequest, res: ServerResponse) => void;
let closedStreams = 0;
beforeAll(async () => {
  gw = await startFakeGateway({ api: (req, res) => handler(req, res) });
  client = new Client({ gatewayURL: gw.url, auth: new TokenAuth({ source: new StaticTokenSource("s"), tokenURL: `${gw.url}/oauth/token` }) });
});
afterAll(() => gw.close());

const line = (i: number): LogMessage => ({ name: "hello", namespace: "dev", instance: "hello-abc", timestamp: new Date(1_700_000_000_000 + i).toISOString(), text: `line ${i}` });

describe("getLogs", () => {
  it("parses NDJSON split across chunks and sends the query", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      const text = [line(1), line(2), line(3)].map((l) => JSON.stringify(l)).join("\n") + "\n\n";
      res.write(text.slice(0, 17));
      setTimeout(() => res.end(text.slice(17)), 5);
    };
    const got: LogMessage[] = [];
    for await (const msg of client.getLogs({ name: "hello", namespace: "dev", tail: 10, since: new Date(0), instance: "hello-abc" })) got.push(msg);
    expect(got).toEqual([line(1), line(2), line(3)]);
    const q = gw.seen.at(-1)!.url.searchParams;
    expect(Object.fromEntries(q)).toEqual({ name: "hello", namespace: "dev", tail: "10", since: "1970-01-01T00:00:00.000Z", instance: "hello-abc" });
  });

  it("sends nothing for an iterator that is closed before its first value is asked for", async () => {
    const requests = gw.seen.length;
    const iterator = client.getLogs({ name: "hello", namespace: "dev", follow: true })[Symbol.asyncIterator]();
    await iterator.return?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(gw.seen.length).toBe(requests);
  });

  it("follows a stream and closes the connection when the loop breaks", async () => {
    let timer: NodeJS.Timeout | undefined;
    handler = (req, res) => {
      expect(req.url.searchParams.get("follow")).toBe("true");
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      let i = 0;
      timer = setInterval(() => res.write(JSON.stringify(line(i++)) + "\n"), 2);
      res.on("close", () => {
        clearInterval(timer);
        closedStreams++;
      });
    };
    const before = closedStreams;
    const got: string[] = [];
    for await (const msg of client.getLogs({ name: "hello", namespace: "dev", follow: true }, { timeoutMs: 100 })) {
      got.push(msg.text);
      if (got.length === 5) break;
    }
    expect(got).toEqual(["line 0", "line 1", "line 2", "line 3", "line 4"]);
    await vi.waitFor(() => expect(closedStreams).toBe(before + 1));
  });

  it("closes a followed stream when the signal aborts", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.write(JSON.stringify(line(1)) + "\n");
      res.on("close", () => closedStreams++);
    };
    const before = closedStreams;
    const controller = new AbortController();
    const got: string[] = [];
    const loop = (async () => {
      for await (const msg of client.getLogs({ name: "hello", follow: true }, { signal: controller.signal })) {
        got.push(msg.text);
        controller.abort(new Error("enough"));
      }
    })();
    await expect(loop).rejects.toThrow("enough");
    expect(got).toEqual(["line 1"]);
    await vi.waitFor(() => expect(closedStreams).toBe(before + 1));
  });

  it("lets a followed stream outlive the call timeout, which covers only the response head", async () => {
    let timer: NodeJS.Timeout | undefined;
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      let i = 0;
      // 8 lines take 600 ms, well past the 250 ms that bound the response head (which a loaded machine needs).
      timer = setInterval(() => res.write(JSON.stringify(line(i++)) + "\n"), 75);
      res.on("close", () => clearInterval(timer));
    };
    const got: string[] = [];
    for await (const msg of client.getLogs({ name: "hello", follow: true }, { timeoutMs: 250 })) {
      got.push(msg.text);
      if (got.length === 8) break;
    }
    expect(got).toHaveLength(8);
  });

  it("times out a non-follow request whose body stalls", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.write(JSON.stringify(line(1)) + "\n");
    };
    const got: string[] = [];
    const error = await (async () => {
      for await (const msg of client.getLogs({ name: "hello" }, { timeoutMs: 80 })) got.push(msg.text);
    })().catch((e: unknown) => e);
    expect(got).toEqual(["line 1"]);
    expect(error).toBeInstanceOf(TimeoutError);
  });

  it("reports a malformed line and a 404 as typed errors", async () => {
    handler = (_req, res) => res.writeHead(200).end(`${JSON.stringify(line(1))}\n{"name":1}\n`);
    const iterate = async (): Promise<void> => {
      for await (const _ of client.getLogs({ name: "hello" })) void _;
    };
    await expect(iterate()).rejects.toBeInstanceOf(InvalidResponseError);
    handler = (_req, res) => res.writeHead(404).end("function not found");
    const error = await iterate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ gatewayMessage: "function not found", path: "/system/logs" });
  });

  it("validates arguments up front", () => {
    expect(() => client.getLogs({ name: "Bad Name" })).toThrow(InvalidArgumentError);
    expect(() => client.getLogs({ name: "ok", since: "yesterday" })).toThrow(InvalidArgumentError);
  });
});
