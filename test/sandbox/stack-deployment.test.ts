import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { faasCliDeployRequest, templateFprocess } from "../../sandbox/src/runner/stack-deployment.js";
import type { StackFunction } from "../../sandbox/src/runner/stack.js";
import { basic, call, startFixtureSandbox } from "./helpers.js";

const REPO = resolve(import.meta.dirname, "../..");
/** The `fprocess:` line of the repository's template.yml, read as text (not by the code under test). */
async function templateYmlFprocess(): Promise<string> {
  const text = await readFile(resolve(REPO, "template/node-ts-iam/template.yml"), "utf8");
  return /^fprocess: (.+)$/m.exec(text)![1]!.trim();
}

const minimal: StackFunction = { name: "fn", lang: "node-ts-iam", handler: "/x/fn", image: "x/fn:1", environment: {}, secrets: [], labels: {}, annotations: {}, readOnlyRootFilesystem: false };

// What faas-cli deploy sends is checked against the real faas-cli in test/conformance/faas-cli-sandbox.test.ts;
// these tests pin the omitempty rules of Go's types.FunctionDeployment that it follows.
describe("the start-up deploy sends what faas-cli deploy sends", () => {
  it("leaves out empty fields, but always sends labels and annotations", () => {
    expect(faasCliDeployRequest(minimal, undefined)).toEqual({ service: "fn", image: "x/fn:1", labels: {}, annotations: {} });
  });

  it("sends every field a stack sets, with the template's fprocess unless the stack has its own", () => {
    const full: StackFunction = {
      ...minimal,
      namespace: "dev",
      environment: { A: "1" },
      secrets: ["s"],
      constraints: ["node=a"],
      labels: { l: "1" },
      annotations: { a: "1" },
      limits: { memory: "128Mi" },
      requests: { cpu: "100m", memory: "" },
      readOnlyRootFilesystem: true,
    };
    expect(faasCliDeployRequest(full, "node dist/index.js")).toEqual({
      service: "fn",
      image: "x/fn:1",
      namespace: "dev",
      envProcess: "node dist/index.js",
      envVars: { A: "1" },
      secrets: ["s"],
      constraints: ["node=a"],
      labels: { l: "1" },
      annotations: { a: "1" },
      limits: { memory: "128Mi" },
      requests: { cpu: "100m" },
      readOnlyRootFilesystem: true,
    });
    expect(faasCliDeployRequest({ ...full, fprocess: "node other.js" }, "node dist/index.js")["envProcess"]).toBe("node other.js");
  });

  it("reads fprocess from the template folder (the first that has the language), none for dockerfile", async () => {
    const expected = await templateYmlFprocess();
    expect(await templateFprocess(["/nonexistent", REPO], "node-ts-iam")).toBe(expected);
    expect(await templateFprocess([REPO], "dockerfile")).toBeUndefined();
    expect(await templateFprocess([REPO], "no-such-lang")).toBeUndefined();
  });

  it("stores and describes the stack function as faas-cli deploy would have created it", async () => {
    const sb = await startFixtureSandbox();
    try {
      const r = await call(sb.url, "GET", "/system/function/whoami?namespace=dev", basic(sb));
      expect(r.json).toMatchObject({
        name: "whoami",
        image: "fixture.local/whoami:latest",
        envProcess: await templateYmlFprocess(),
        labels: { team: "fixtures" },
        annotations: { "com.openfaas.serviceaccount": "whoami" },
        limits: { memory: "64Mi" },
        secrets: ["api-key"],
        readOnlyRootFilesystem: false,
      });
      expect(r.json).not.toHaveProperty("requests");
    } finally {
      await sb.stop();
    }
  });
});
