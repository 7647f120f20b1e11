/**
 * getLogs reads the whole lines of a chunk with one JSON.parse when it provably gives what one parse
 * per line gives (every line starts with `{`, one element per line, string values only), and line by
 * line otherwise. Whichever way a chunk is read, the messages and the errors are those of reading it
 * line by line: lines that two objects share or that run into each other are malformed, not merged
 * or split; a blank line, a CRLF or a non-string extra field is read as before.
 */
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, InvalidResponseError, StaticTokenSource, TimeoutError, TokenAuth, type LogMessage } from "@node-ts-iam/sdk";
import { startFakeGateway, type FakeGateway } from "./helpers.js";

let gw: FakeGateway;
let client: Client;
/** The body of the next log stream, written in one piece (one chunk for the client). */
let body = "";
/** Whether the next answer is an error whose body stalls after its first bytes instead. */
let stallError = false;
beforeAll(async () => {
  gw = await startFakeGateway({
    api: (_req, res: ServerResponse) => {
      if (stallError) return void res.writeHead(500, { "content-type": "text/plain" }).write("internal err");
      res.writeHead(200, { "content-type": "application/x-ndjson" }).end(body);
    },
  });
  client = new Client({ gatewayURL: gw.url, auth: new TokenAuth({ source: new StaticTokenSource("s"), tokenURL: `${gw.url}/oauth/token` }) });
});
afterAll(() => gw.close());

const message = (i: number): LogMessage => ({ name: "hello", namespace: "dev", instance: "hello-abc", timestamp: new Date(1_700_000_000_000 + i).toISOString(), text: `line ${i}` });
const lines = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => JSON.stringify(message(from + i)));

/** The messages of one stream of `text`, and the error it ended with. */
async function read(text: string): Promise<{ got: LogMessage[]; error: unknown }> {
  body = text;
  const got: LogMessage[] = [];
  try {
    for await (const msg of client.getLogs({ name: "hello" })) got.push(msg);
    return { got, error: undefined };
  } catch (error) {
    return { got, error };
  }
}

describe("the lines of one chunk", () => {
  it("are read whole, in order, however many there are", async () => {
    const { got, error } = await read(`${lines(0, 500).join("\n")}\n`);
    expect(error).toBeUndefined();
    expect(got).toEqual(Array.from({ length: 500 }, (_, i) => message(i)));
  });

  it("two objects on one line are a malformed line, reported after the lines before it", async () => {
    const [a, b] = lines(100, 102);
    const { got, error } = await read(`${lines(0, 20).join("\n")}\n${a},${b}\n${lines(20, 40).join("\n")}\n`);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as InvalidResponseError).message).toMatch(/log line is not JSON/);
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => message(i)));
  });

  it("a line that runs into the next is malformed, even when another line holds two objects to make the count match", async () => {
    const fields = JSON.stringify(message(7)).slice(0, -1);
    // As one array these three lines parse to three objects; line by line the first is not JSON.
    const runOn = [`${fields},"more":[{}`, `{}]}`, `${lines(8, 9)[0]},${lines(9, 10)[0]}`];
    const { got, error } = await read(`${lines(0, 5).join("\n")}\n${runOn.join("\n")}\n`);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(got).toEqual(Array.from({ length: 5 }, (_, i) => message(i)));
  });

  it("a blank line, a CRLF and a non-string extra field are read as line by line", async () => {
    const extra = JSON.stringify({ ...message(3), level: 4 });
    const { got, error } = await read(`${lines(0, 2).join("\r\n")}\r\n\n   \n${lines(2, 3)[0]}\n${extra}\n${lines(4, 6).join("\n")}\n`);
    expect(error).toBeUndefined();
    expect(got).toEqual(Array.from({ length: 6 }, (_, i) => message(i)));
  });

  it("a line whose fields are not the message's fails, after the lines before it", async () => {
    const { got, error } = await read(`${lines(0, 3).join("\n")}\n{"name":"hello","text":"no namespace"}\n${lines(3, 6).join("\n")}\n`);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as InvalidResponseError).message).toMatch(/namespace is not a string/);
    expect(got).toEqual(Array.from({ length: 3 }, (_, i) => message(i)));
  });
});

describe("a log request's error answer", () => {
  it("whose body stalls fails after bodyIdleTimeoutMs, as any call's does, not at the call's deadline", async () => {
    stallError = true;
    try {
      const idle = new Client({ gatewayURL: gw.url, bodyIdleTimeoutMs: 100, retries: 0, auth: new TokenAuth({ source: new StaticTokenSource("s"), tokenURL: `${gw.url}/oauth/token` }) });
      const started = performance.now();
      const error = await (async () => {
        for await (const _ of idle.getLogs({ name: "hello" }, { timeoutMs: 10_000 })) void _;
      })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).timeoutMs).toBe(100);
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      stallError = false;
    }
  });
});
