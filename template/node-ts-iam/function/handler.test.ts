/**
 * Tests of the template's sample handler. faas-cli copies this file into every build, also when a
 * function folder has no test of its own, so it asserts only while handler.ts is the unmodified sample
 * (its SHA-256 below); next to any other handler it reports itself skipped and imports nothing. It
 * compiles as an ES module or as CommonJS, whichever the package.json makes it. Replace it with tests
 * of your own handler.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { FunctionContext, FunctionEvent, FunctionHeaders, Handler } from "@node-ts-iam/sdk";

/** SHA-256 of the sample handler.ts (line endings normalised to LF). */
export const SAMPLE_HANDLER_SHA256 = "8691a4381eb600e704662282403f5236b5bc824835b6cdc08723b2eff57ae08d";

/** `npm test` runs in the function folder, where handler.ts is. */
function sampleHandlerInUse(): boolean {
  try {
    const source = readFileSync("handler.ts", "utf8").replace(/\r\n/g, "\n");
    return createHash("sha256").update(source).digest("hex") === SAMPLE_HANDLER_SHA256;
  } catch {
    return false;
  }
}

/** The compiled handler: an ES module's default export, or, compiled as CommonJS, `exports.default`. */
async function loadHandler(): Promise<Handler> {
  // A computed specifier: this file must compile next to any handler.ts, whatever it exports.
  const specifier: string = "./handler.js";
  const mod = (await import(specifier)) as { default: Handler | { default: Handler } };
  return typeof mod.default === "function" ? mod.default : mod.default.default;
}

/** A context that records what the handler set. */
class RecordingContext implements FunctionContext {
  private code = 200;
  private values: FunctionHeaders = {};
  status(): number;
  status(code: number): this;
  status(code?: number): number | this {
    if (!code) return this.code;
    this.code = code;
    return this;
  }
  headers(): FunctionHeaders;
  headers(value: FunctionHeaders): this;
  headers(value?: FunctionHeaders): FunctionHeaders | this {
    if (!value) return this.values;
    this.values = value;
    return this;
  }
  succeed(): void {}
  fail(): void {}
}

const skip = sampleHandlerInUse() ? false : "handler.ts is not the template's sample handler; write tests for your own";

test("the sample handler echoes method, path, query and body as JSON", { skip }, async () => {
  const handle = await loadHandler();
  const event: FunctionEvent = { body: { hello: "world" }, headers: {}, method: "POST", query: { a: "1" }, path: "/echo" };
  const context = new RecordingContext();
  const result: unknown = await handle(event, context, () => undefined);
  assert.deepEqual(result, { method: "POST", path: "/echo", query: { a: "1" }, body: { hello: "world" } });
  assert.equal(context.headers()["cache-control"], "no-store");
  assert.equal(context.status(), 200);
});
