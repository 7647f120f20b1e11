/**
 * Every sample of functions/ (a folder with a handler, or a stack.yml entry under ./functions/) has
 * what the other tests rely on; a half-added one is told, file by file, what to add
 * (support/conventions.ts, functions/README.md "Adding a sample").
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sampleProblems } from "./support/conventions.js";
import { functionNames } from "./support/repo.js";

describe.each(functionNames())("sample %s", (name) => {
  it("has its stack entry, IAM, unit tests, build references and policy check entry", () => {
    expect(sampleProblems(name), `${name} is not a complete sample`).toEqual([]);
  });
});

describe("a sample half added", () => {
  it("is told, file by file, what it lacks", () => {
    const root = mkdtempSync(`${tmpdir()}/conventions-`);
    try {
      mkdirSync(join(root, "functions/greeter"), { recursive: true });
      mkdirSync(join(root, "test/policy"), { recursive: true });
      writeFileSync(join(root, "functions/greeter/handler.ts"), "export default async () => 'hi';\n");
      writeFileSync(join(root, "functions/greeter/package.json"), '{"scripts": {"test": "tsc -p ."}}\n');
      writeFileSync(join(root, "stack.yml"), "version: 1.0\nprovider:\n  name: openfaas\nfunctions:\n  greeter:\n    lang: node-ts-iam\n    handler: ./functions/greeter\n    image: greeter:latest\n");
      writeFileSync(join(root, "package.json"), '{"workspaces": []}\n');
      writeFileSync(join(root, "tsconfig.json"), '{"references": []}\n');
      writeFileSync(join(root, "test/policy/samples.check.yaml"), "policies: []\n");
      expect(sampleProblems("greeter", root)).toEqual([
        "stack.yml: functions.greeter.namespace must be openfaas-fn (the cluster's token policies cover that namespace)",
        'stack.yml: functions.greeter.labels needs openfaas-iam/token: "true" (it gets the gateway-audience token)',
        "stack.yml: functions.greeter.annotations needs com.openfaas.serviceaccount: <its own service account>",
        "functions/greeter/iam/: needs exactly one ServiceAccount (openfaas-fn/<its service account>), one Policy and one Role binding them (has nothing)",
        "functions/greeter/test/: add its unit tests (*.test.ts, node:test)",
        'functions/greeter/package.json: scripts.test must be "tsc -p . && node --test dist/test/*.test.js" (the image build runs it)',
        'package.json: add "functions/greeter" to workspaces',
        'tsconfig.json: add { "path": "functions/greeter" } to references (npm run build compiles it)',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
