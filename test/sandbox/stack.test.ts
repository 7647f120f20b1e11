import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadStack, substituteEnv } from "../../sandbox/src/runner/stack.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sandbox-stack-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("stack.yml", () => {
  it.each([
    ["${A}", { A: "x" }, "x"],
    ["${A}", {}, ""],
    ["${A:-def}", {}, "def"],
    ["${A:-def}", { A: "" }, "def"],
    ["${A-def}", { A: "" }, ""],
    ["${A-def}", {}, "def"],
    ["img/${NAME:-fn}:${TAG:-latest}", { TAG: "1.2" }, "img/fn:1.2"],
    ["$A stays", { A: "x" }, "$A stays"],
  ])("substitutes %s with %j → %s", (text, env, expected) => {
    expect(substituteEnv(text, env)).toBe(expected);
  });

  it("reads functions with env files (which override environment, as in faas-cli deploy), secrets, labels and annotations, resolving the handler path", async () => {
    await writeFile(join(dir, "env.yml"), "environment:\n  FROM_FILE: yes\n  OVERRIDDEN: file\n");
    await writeFile(
      join(dir, "stack.yml"),
      "version: 1.0\nprovider: {name: openfaas}\nfunctions:\n  fn:\n    lang: node-ts-iam\n    handler: ./fn\n    image: ${REG:-local}/fn:1\n    environment_file: [env.yml]\n    environment: {OVERRIDDEN: stack, N: 3, B: true}\n    secrets: [s1]\n    annotations: {com.openfaas.serviceaccount: fn-sa}\n",
    );
    const stack = await loadStack(join(dir, "stack.yml"), {});
    expect(stack.functions).toEqual([
      {
        name: "fn",
        lang: "node-ts-iam",
        handler: join(dir, "fn"),
        image: "local/fn:1",
        environment: { FROM_FILE: "yes", OVERRIDDEN: "file", N: "3", B: "true" },
        secrets: ["s1"],
        labels: {},
        annotations: { "com.openfaas.serviceaccount": "fn-sa" },
        readOnlyRootFilesystem: false,
      },
    ]);
  });

  it("reads fprocess, constraints, limits, requests and readonly_root_filesystem", async () => {
    await writeFile(
      join(dir, "full.yml"),
      "functions:\n  fn:\n    lang: node-ts-iam\n    handler: ./fn\n    image: x/fn:1\n    fprocess: node other.js\n    constraints: [a=b]\n    limits: {memory: 128Mi, cpu: 100m, other: 1}\n    requests: {memory: 64Mi}\n    readonly_root_filesystem: true\n",
    );
    const [fn] = (await loadStack(join(dir, "full.yml"), {})).functions;
    expect(fn).toMatchObject({ fprocess: "node other.js", constraints: ["a=b"], limits: { memory: "128Mi", cpu: "100m" }, requests: { memory: "64Mi" }, readOnlyRootFilesystem: true });
    expect(fn!.limits).not.toHaveProperty("other");
  });

  it.each([
    ["provider: {name: other}\nfunctions: {}\n", /provider\.name: must be "openfaas"/],
    ["version: 2.0\n", /version: must be 1\.0/],
    ["functions:\n  fn: {lang: node-ts-iam, handler: ./fn}\n", /functions\.fn\.image: is required/],
    ["functions:\n  fn: {lang: node-ts-iam, handler: ./fn, image: x, secrets: s1}\n", /functions\.fn\.secrets: must be a list of strings/],
    ["functions: [a]\n", /functions: must be a mapping/],
    ["functions:\n  fn: {lang: node-ts-iam, handler: ./fn, image: x, limits: 128Mi}\n", /functions\.fn\.limits: must be a mapping/],
    ["functions:\n  fn: {lang: node-ts-iam, handler: ./fn, image: x, readonly_root_filesystem: yes-please}\n", /functions\.fn\.readonly_root_filesystem: must be true or false/],
    ["functions:\n  fn: {lang: node-ts-iam, handler: ./fn, image: x, environment_file: [missing.yml]}\n", /functions\.fn\.environment_file\(missing\.yml\): cannot read .*missing\.yml \(ENOENT\)/],
  ])("refuses %j naming the field", async (text, message) => {
    const file = join(dir, "bad.yml");
    await writeFile(file, text);
    await expect(loadStack(file, {})).rejects.toThrow(message);
  });
});
