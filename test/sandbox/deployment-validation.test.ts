import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorBodySchema, FunctionStatusSchema } from "../../sandbox/src/schema/api-schemas.js";
import type { Sandbox } from "../../sandbox/src/types.js";
import { basic, call, expectSchema, startFixtureSandbox } from "./helpers.js";

let sandbox: Sandbox;
let admin: string;
let stateDir: string;
const stateFile = () => join(stateDir, "state.json");

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "sandbox-validation-"));
  sandbox = await startFixtureSandbox({ stateDir });
  admin = basic(sandbox);
  expect((await call(sandbox.url, "POST", "/system/functions", admin, { service: "target", image: "x/target:1", namespace: "dev" })).status).toBe(202);
});
afterAll(async () => {
  await sandbox?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

/** `{"a":{"a":...}}` nested `depth` levels around `leaf`, as raw JSON text (no recursion to build it). */
const nested = (depth: number, leaf = '"128Mi"'): string => `${'{"a":'.repeat(depth)}${leaf}${"}".repeat(depth)}`;

describe("deploy and update bodies", () => {
  it.each([1_000, 30_000])("refuses limits nested %i deep with 400 naming the field, and state.json does not grow", async (depth) => {
    const before = (await stat(stateFile())).size;
    for (const method of ["POST", "PUT"]) {
      const body = `{"service":"target","image":"x/target:1","namespace":"dev","limits":${nested(depth)}}`;
      const r = await call(sandbox.url, method, "/system/functions", admin, body);
      expect(r.status, r.text).toBe(400);
      expectSchema(r.json, ErrorBodySchema);
      expect((r.json as { field: string }).field).toMatch(/^limits(\.a)+$/);
    }
    expect((await stat(stateFile())).size).toBe(before);
  });

  it("refuses deep nesting anywhere in the body, and in other JSON bodies too", async () => {
    const deepEnv = await call(sandbox.url, "POST", "/system/functions", admin, `{"service":"d","image":"x","namespace":"dev","envVars":${nested(50)}}`);
    expect(deepEnv.status).toBe(400);
    expect((deepEnv.json as { field: string }).field).toMatch(/^envVars\.a/);
    const deepSecret = await call(sandbox.url, "POST", "/system/secrets", admin, `{"name":"s","namespace":"dev","value":${nested(20)}}`);
    expect(deepSecret.status).toBe(400);
    const deepArray = await call(sandbox.url, "POST", "/system/functions", admin, `{"service":"d","image":"x","namespace":"dev","secrets":${"[".repeat(40)}${"]".repeat(40)}}`);
    expect(deepArray.status).toBe(400);
    expect((deepArray.json as { field: string }).field).toMatch(/^secrets\[0\]/);
  });

  it.each<[string, Record<string, unknown>, string | RegExp]>([
    ["an unknown field in limits", { limits: { memory: "128Mi", extra: { a: 1 } } }, "limits.extra"],
    ["a quantity that is not one", { limits: { memory: "lots" } }, "limits.memory"],
    ["an over-long quantity", { requests: { cpu: "1".repeat(65) } }, "requests.cpu"],
    ["257 environment variables", { envVars: Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`V${i}`, "x"])) }, "envVars"],
    ["an environment value over 64 KiB", { envVars: { BIG: "x".repeat(64 * 1024 + 1) } }, 'envVars["BIG"]'],
    ["an environment name with '='", { envVars: { "A=B": "x" } }, "envVars.A=B"],
    ["an environment value with NUL", { envVars: { A: "x\0y" } }, "envVars.A"],
    ["a label value over 63 characters", { labels: { team: "x".repeat(64) } }, 'labels["team"]'],
    ["a label value with a space", { labels: { team: "a b" } }, "labels.team"],
    ["a label key that is not a qualified name", { labels: { "bad key": "x" } }, "labels.bad key"],
    ["65 labels", { labels: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`l${i}`, "x"])) }, "labels"],
    ["annotations over 256 KiB in total", { annotations: Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`a${i}`, "x".repeat(60 * 1024)])) }, "annotations"],
    ["65 secrets", { secrets: Array.from({ length: 65 }, (_, i) => `s${i}`) }, "secrets"],
    ["a secret name that is not a label", { secrets: ["../x"] }, "secrets[0]"],
    ["an image with a space", { image: "x/y:1 --privileged" }, "image"],
    ["an image over 1024 characters", { image: "x".repeat(1025) }, "image"],
    ["envProcess over 4096 characters", { envProcess: "x".repeat(4097) }, "envProcess"],
    ["a constraint that is not a string", { constraints: [{ a: 1 }] }, "constraints[0]"],
    ["readOnlyRootFilesystem as a string", { readOnlyRootFilesystem: "yes" }, "readOnlyRootFilesystem"],
  ])("refuses %s with 400 naming the field", async (_name, extra, field) => {
    const before = await readFile(stateFile(), "utf8");
    for (const method of ["POST", "PUT"]) {
      const r = await call(sandbox.url, method, "/system/functions", admin, { service: "target", image: "x/target:1", namespace: "dev", ...extra });
      expect(r.status, r.text).toBe(400);
      expectSchema(r.json, ErrorBodySchema);
      expect((r.json as { field: string }).field).toBe(field);
    }
    expect(await readFile(stateFile(), "utf8")).toBe(before);
  });

  it("stores only the fields the spec defines: unknown fields are ignored, as the Go gateway ignores them", async () => {
    const r = await call(sandbox.url, "PUT", "/system/functions", admin, {
      service: "target",
      image: "x/target:2",
      namespace: "dev",
      limits: { memory: "128Mi", cpu: "" },
      requests: { "nvidia.com/gpu": "1" },
      registryAuth: "ignored",
      garbage: { deep: { deeper: "x".repeat(10_000) } },
    });
    expect(r.status, r.text).toBe(202);
    const state = await readFile(stateFile(), "utf8");
    expect(state).not.toContain("garbage");
    expect(state).not.toContain("registryAuth");
    const status = await call(sandbox.url, "GET", "/system/function/target?namespace=dev", admin);
    expectSchema(status.json, FunctionStatusSchema);
    expect(status.json).toMatchObject({ image: "x/target:2", limits: { memory: "128Mi" }, requests: { "nvidia.com/gpu": "1" } });
    expect((status.json as { limits: Record<string, string> }).limits).not.toHaveProperty("cpu");
  });
});
