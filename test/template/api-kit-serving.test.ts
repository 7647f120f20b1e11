/** The SDK's HTTP API kit served by the real template server: every answer body is JSON. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type InProcess } from "./support/in-process.js";
import { send } from "./support/process.js";

let app: InProcess;
beforeAll(async () => {
  app = await serve("api-kit.mjs");
});
afterAll(() => app.close());

describe("serveApi through the template server", () => {
  it.each([
    ["/string", 200, "plain words"],
    ["/null", 200, null],
    ["/object", 201, { ok: true }],
    ["/nope", 404, { code: "ROUTE_NOT_FOUND", message: "no such route" }],
  ])("GET %s answers %i with a JSON body", async (path, status, body) => {
    const answer = await send(app.port, { path });
    expect(answer.status).toBe(status);
    expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(JSON.parse(answer.text)).toEqual(body);
  });
});
