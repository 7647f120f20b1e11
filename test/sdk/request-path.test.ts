/**
 * The SDK writes request paths and queries as strings (no URL object per call): what reaches the
 * gateway must be what a URL writes, byte for byte: an invocation's sub-path percent-encoded as a URL
 * path is (spaces, quotes, non-ASCII), query values form-encoded as URLSearchParams does (a space as
 * `+`, `&`, `=`, `?` and non-ASCII percent-encoded), array values repeated, undefined ones left out.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@node-ts-iam/sdk";
import { startServer, type TestServer } from "./helpers.js";

let server: TestServer;
/** The request target of the last request, as it came over the wire. */
let target = "";
beforeAll(async () => {
  server = await startServer((_req, res, raw) => {
    target = raw.url ?? "";
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
});
afterAll(() => server.close());

/** What a URL writes for `path` and `query` (the way the SDK built every request before). */
function asURLWrites(path: string, query: Record<string, string | readonly string[]>): string {
  const url = new URL("http://gateway");
  url.pathname = path;
  for (const [key, value] of Object.entries(query)) {
    if (Array.isArray(value)) for (const v of value as readonly string[]) url.searchParams.append(key, v);
    else url.searchParams.set(key, value as string);
  }
  return url.pathname + url.search;
}

describe("the request target", () => {
  it("of an invocation with an awkward sub-path and query is what a URL writes", async () => {
    const client = new Client({ gatewayURL: server.url });
    const path = "/sub dir/ü/\"quoted\"/<x>/{y}/`z`/a+b/c%20d/~!$&'()*,;=:@[]^|";
    const query = { q: "a b", list: ["1", "2 3"], odd: "ü&=?#%+/*-._~!'()", plain: "dev" };
    await client.invokeFunction("hello", "dev", { method: "GET", path, query: { ...query, gone: undefined } as never });
    expect(target).toBe(asURLWrites(`/function/hello.dev${path}`, query));
  });

  it("of a gateway with a base path keeps the base path, once", async () => {
    const client = new Client({ gatewayURL: `${server.url}/prefix/` });
    await client.invokeFunction("hello", "dev", { method: "GET", query: { a: "1" } });
    expect(target).toBe("/prefix/function/hello.dev?a=1");
  });

  it("of a plain call needs no encoding and gets none", async () => {
    const client = new Client({ gatewayURL: server.url });
    await client.invokeFunction("hello", "dev", { method: "GET", path: "/a/b", query: { namespace: "dev", tail: "10" } });
    expect(target).toBe("/function/hello.dev/a/b?namespace=dev&tail=10");
  });
});
