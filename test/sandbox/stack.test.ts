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

  it("reads functions with env files, secrets, labels and annotations, resolving the handler path", async () => {
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
        environment: { FROM_FILE: "yes", OVERRIDDEN: "stack", N: "3", B: "true" },
        secrets: ["s1"],
        labels: {},
        annotations: { "com.openfaas.serviceaccount": "fn-sa" },
      },
    ]);
  });

  it.each([
    ["provider: {name: other}\nfunctions: {}\n", /provider\.name: must be "openfaas"/],
    ["version: 2.0\n", /version: must be 1\.0/],
    ["functions:\n  fn: {lang: node-ts-iam, handler: ./fn}\n", /functions\.fn\.image: is required/],
    ["functions:\n  fn: {lang: node-ts-iam, handler: ./fn, image: x, secrets: s1}\n", /functions\.fn\.secrets: must be a list of strings/],
    ["functions: [a]\n", /functions: must be a mapping/],
    ["functions:\n  fn: {lang: node-ts-iam, handler: ./fn, image: x, environment_file: [missing.yml]}\n", /functions\.fn\.environment_file\(missing\.yml\): cannot read .*missing\.yml \(ENOENT\)/],
  ])("refuses %j naming the field", async (text, message) => {
    const file = join(dir, "bad.yml");
    await writeFile(file, text);
    await expect(loadStack(file, {})).rejects.toThrow(message);
  });
});
