/**
 * `faas-cli new NAME --lang node-ts-iam` reproduced: the template's function/ folder becomes ./NAME/ and a
 * stack file names it. The new function must build (Dockerfile commands) and pass its own test; whatever
 * the user then does to handler.ts or package.json, the sample test that came with it must not fail the
 * build, and a handler that would not be the one loaded must stop it.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { copyTemplate, faasCliBuild, type FaasBuild } from "./support/faas-build.js";
import { send, type ChildServer } from "./support/process.js";
import { listFiles, startShipped } from "./support/ship.js";

interface StackFile {
  version: string;
  provider: { name: string; gateway: string };
  functions: Record<string, { lang: string; handler: string; image: string }>;
}

const project = mkdtempSync(join(tmpdir(), "node-ts-iam-faas-new-"));
afterAll(() => rmSync(project, { recursive: true, force: true }));

/** What faas-cli new does, given a pulled template. */
function faasCliNew(name: string, lang: string): void {
  copyTemplate(join(project, name), join(project, "template", lang, "function"));
  const stack: StackFile = {
    version: "1.0",
    provider: { name: "openfaas", gateway: "http://127.0.0.1:8080" },
    functions: { [name]: { lang, handler: `./${name}`, image: `${name}:latest` } },
  };
  writeFileSync(join(project, "stack.yaml"), stringifyYaml(stack));
  appendFileSync(join(project, ".gitignore"), "template\nbuild\n.secrets\n");
}

/** What faas-cli build does for one function of the stack file. */
function buildFromStack(name: string, workDir: string): Promise<FaasBuild> {
  const stack = parseYaml(readFileSync(join(project, "stack.yaml"), "utf8")) as StackFile;
  const fn = stack.functions[name];
  if (!fn) throw new Error(`${name} is not in stack.yaml`);
  return faasCliBuild({
    workDir,
    name,
    handlerDir: resolve(project, fn.handler),
    templateDir: join(project, "template", fn.lang),
  });
}

describe("faas-cli new --lang node-ts-iam", () => {
  let build: FaasBuild;
  let server: ChildServer | undefined;
  beforeAll(async () => {
    copyTemplate(join(project, "template/node-ts-iam")); // faas-cli template pull
    faasCliNew("hello", "node-ts-iam");
    build = await buildFromStack("hello", join(project, "first"));
    server = await startShipped(build);
  }, 120_000);
  afterAll(() => server?.kill());

  it("creates the handler folder from the template's sample, and a stack file naming it", () => {
    const files = listFiles(join(project, "hello")).sort();
    expect(files).toEqual(["handler.test.ts", "handler.ts", "package.json", "tsconfig.json"]);
    const stack = parseYaml(readFileSync(join(project, "stack.yaml"), "utf8")) as StackFile;
    expect(stack.functions["hello"]).toEqual({ lang: "node-ts-iam", handler: "./hello", image: "hello:latest" });
    expect(stack.provider.name).toBe("openfaas");
  });

  it("builds, and the sample's own test runs its assertions and passes", () => {
    expect(build.output).toMatch(/# pass 1\b/);
    expect(build.output).toMatch(/# skipped 0\b/);
  });

  it("ships none of the folder's devDependencies (TypeScript, Node's types, the SDK link): the server's SDK serves the handler", () => {
    const shipped = listFiles(join(build.shipDir, "function"));
    expect(shipped.filter((file) => file.startsWith("node_modules/typescript/") || file.startsWith("node_modules/@types/") || file.startsWith("node_modules/@node-ts-iam/"))).toEqual([]);
    expect(listFiles(join(build.shipDir, "sdk")).filter((file) => file.startsWith("dist/")).length).toBeGreaterThan(0);
  });

  it("answers with the sample handler", async () => {
    const answer = await send(server!.port, {
      method: "POST",
      path: "/echo?x=1",
      headers: { "content-type": "application/json" },
      body: '{"hello":"world"}',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers["cache-control"]).toBe("no-store");
    expect(JSON.parse(answer.text)).toEqual({ method: "POST", path: "/echo", query: { x: "1" }, body: { hello: "world" } });
  });

  it("builds without \"type\" in package.json: the sample compiles as CommonJS, its test runs and passes, the server answers", async () => {
    const manifest = JSON.parse(readFileSync(join(project, "hello/package.json"), "utf8")) as Record<string, unknown>;
    delete manifest["type"];
    writeFileSync(join(project, "hello/package.json"), JSON.stringify(manifest, null, 2));
    const rebuilt = await buildFromStack("hello", join(project, "commonjs"));
    expect(rebuilt.output).toMatch(/# pass 1\b/);
    expect(rebuilt.output).toMatch(/# fail 0\b/);
    const commonjs = await startShipped(rebuilt);
    try {
      const answer = await send(commonjs.port, { method: "POST", path: "/cjs", headers: { "content-type": "application/json" }, body: "[1]" });
      expect(JSON.parse(answer.text)).toEqual({ method: "POST", path: "/cjs", query: {}, body: [1] });
    } finally {
      commonjs.kill();
    }
  }, 120_000);

  it("still builds after the user rewrites handler.ts: the sample test skips instead of failing", async () => {
    writeFileSync(
      join(project, "hello/handler.ts"),
      'import type { Handler } from "@node-ts-iam/sdk";\nconst handle: Handler = () => "changed";\nexport default handle;\n',
    );
    const rebuilt = await buildFromStack("hello", join(project, "second"));
    expect(rebuilt.output).toMatch(/# skipped 1\b/);
    expect(rebuilt.output).toMatch(/# fail 0\b/);
  }, 120_000);

  it("stops the build, naming both files, when a handler.js joins the user's handler.ts", async () => {
    writeFileSync(join(project, "hello/handler.js"), "module.exports = async () => 'which one?';\n");
    try {
      await expect(buildFromStack("hello", join(project, "third"))).rejects.toThrow(
        /node-ts-iam build: error: the function folder has 2 handlers \(handler\.ts, handler\.js\) and only one can be loaded/,
      );
    } finally {
      rmSync(join(project, "hello/handler.js"));
    }
  }, 120_000);
});
