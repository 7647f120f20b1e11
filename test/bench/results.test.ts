/**
 * `npm run bench` and bench/RESULTS.md, without measuring anything: the file's structure from fake
 * module results, and the runner (bench/dist/run.js, as npm runs it) over a folder of fake modules that
 * answer at once. A complete run writes the file; a named subset or a failed module leaves it as it
 * was; NODE22 runs the template module a second time. Cost: about 8 short Node processes, 2 s.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BenchSection } from "../../bench/dist/report.js";
import { renderResults, type BenchRun } from "../../bench/dist/results.js";
import { commandLine, runBench, type BenchOptions } from "../../bench/dist/run.js";

const section = (title: string, value: number): BenchSection => ({
  title,
  columns: ["case", "req/s", "vs baseline"],
  rows: [
    ["baseline", value, "1.00"],
    ["subject", value / 2, "0.50"],
  ],
  notes: [`note of ${title}`],
});

const fakeRun: BenchRun = {
  command: "NODE22=/opt/node22/bin/node npm run bench",
  startedAt: new Date("2026-11-30T12:00:00.000Z"),
  durationMs: 432_000,
  machine: { cpu: "Test CPU @ 2.0GHz", cores: 2, memoryGiB: 7.75, os: "Linux 6.1.0", loadAtStart: 0.5, loadAtEnd: 1.25 },
  results: [
    { module: "sdk", node: "v20.20.2", sections: [section("SDK: calls", 100), section("SDK: refresh", 10)], durationMs: 58_000 },
    { module: "template", node: "v20.20.2", sections: [section("Template server (Node v20.20.2)", 30_000)], durationMs: 120_000 },
    { module: "template", node: "v22.23.3", sections: [section("Template server (Node v22.23.3)", 33_000)], durationMs: 118_000 },
  ],
};

describe("bench/RESULTS.md, from module results", () => {
  const text = renderResults(fakeRun);
  const lines = text.split("\n");

  it("says what ran, where, when and how long, and which Node ran what", () => {
    expect(lines[0]).toBe("# Benchmark results");
    expect(text).toContain("| command | `NODE22=/opt/node22/bin/node npm run bench` |");
    expect(text).toContain("| started | 2026-11-30T12:00:00.000Z |");
    expect(text).toContain("| took | 7 min 12 s |");
    expect(text).toContain("| machine | Test CPU @ 2.0GHz, 2 cores, 7.8 GiB, Linux 6.1.0 |");
    expect(text).toContain("| load average (1 min) | 0.50 at the start, 1.25 at the end |");
    expect(text).toContain("| Node | v20.20.2 (every module); v22.23.3 (template) |");
    expect(text).toContain("Sections: [sdk](#sdk) · [template](#template)");
  });

  it("has one section per module, in run order; a module run under two Nodes gets one heading per Node", () => {
    const headings = lines.filter((line) => line.startsWith("#"));
    expect(headings).toEqual([
      "# Benchmark results",
      "## sdk",
      "### SDK: calls",
      "### SDK: refresh",
      "## template",
      "### Node v20.20.2",
      "#### Template server (Node v20.20.2)",
      "### Node v22.23.3",
      "#### Template server (Node v22.23.3)",
    ]);
    expect(text).toContain("## sdk\n\nNode v20.20.2, 58 s.\n\n### SDK: calls");
    expect(text).toContain("### Node v22.23.3\n\n1 min 58 s.\n\n#### Template server (Node v22.23.3)");
  });

  it("keeps every table and note as the module reported them", () => {
    expect(text).toContain("| case | req/s | vs baseline |\n| --- | --- | --- |\n| baseline | 30000 | 1.00 |\n| subject | 15000 | 0.50 |\n\nnote of Template server (Node v20.20.2)");
    expect(text.match(/^\| baseline \|/gm)).toHaveLength(4);
    expect(text.endsWith("note of Template server (Node v22.23.3)\n")).toBe(true);
  });
});

describe("npm run bench (bench/dist/run.js) over fake modules", () => {
  // Made in beforeAll, not while vitest collects the tests (`vitest list` collects without running hooks).
  let dir = "";
  let resultsFile = "";
  const logged: string[] = [];
  const options = (wanted: string[], node22?: string): BenchOptions => ({
    modulesDir: dir,
    wanted,
    node22,
    resultsFile,
    command: "npm run bench",
    log: (line) => logged.push(line),
  });
  const fakeModule = (name: string, body: string): void => writeFileSync(join(dir, `${name}.bench.js`), body);
  const answering = (title: string): string =>
    `export default async (log) => { log("measuring ${title}"); return [${JSON.stringify(section(title, 42))}]; };\n`;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "bench-runner-"));
    resultsFile = join(dir, "RESULTS.md");
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
    fakeModule("alpha", answering("Alpha figures"));
    fakeModule("template", answering("Template figures"));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a named module prints its tables and leaves RESULTS.md as it was", async () => {
    writeFileSync(resultsFile, "previous complete run\n");
    const outcome = await runBench(options(["alpha"]));
    expect(outcome.results.map((r) => [r.module, r.node, r.sections[0]?.title])).toEqual([["alpha", process.version, "Alpha figures"]]);
    expect(outcome.written).toBe(false);
    expect(readFileSync(resultsFile, "utf8")).toBe("previous complete run\n");
    expect(logged.join("\n")).toContain("only some modules ran");
  });

  it("a complete run writes RESULTS.md with every module, the template one twice with NODE22", async () => {
    const outcome = await runBench(options([], process.execPath));
    expect(outcome.results.map((r) => r.module)).toEqual(["alpha", "template", "template"]);
    expect(outcome.written).toBe(true);
    const text = readFileSync(resultsFile, "utf8");
    expect(text.split("\n").filter((line) => line.startsWith("#"))).toEqual([
      "# Benchmark results",
      "## alpha",
      "### Alpha figures",
      "## template",
      `### Node ${process.version}`,
      "#### Template figures",
      `### Node ${process.version}`,
      "#### Template figures",
    ]);
    expect(text).toContain("| command | `npm run bench` |");
  });

  it("a run in which a module fails writes nothing and says which", async () => {
    fakeModule("broken", 'export default async () => { throw new Error("no gateway"); };\n');
    writeFileSync(resultsFile, "previous complete run\n");
    try {
      const outcome = await runBench(options([]));
      expect(outcome.failed).toEqual([`broken.bench.js (${process.execPath})`]);
      expect(outcome.results.map((r) => r.module)).toEqual(["alpha", "template"]);
      expect(readFileSync(resultsFile, "utf8")).toBe("previous complete run\n");
    } finally {
      rmSync(join(dir, "broken.bench.js"));
    }
  });

  it("refuses an unknown module name and a NODE22 that is not a Node binary, naming them", async () => {
    await expect(runBench(options(["alpha", "nosuch"]))).rejects.toThrow(/no benchmark module named nosuch/);
    await expect(runBench(options([], join(dir, "no-node-here")))).rejects.toThrow(/NODE22=.*no-node-here is not a Node binary/);
  });
});

describe("the command written into RESULTS.md", () => {
  it("names what NODE22 and UPSTREAM_NODE22_DIR were, never their paths on the machine", () => {
    const line = commandLine(["template"], { NODE22: "/tmp/x/node22/bin/node", UPSTREAM_NODE22_DIR: "/home/me/templates/template/node22" });
    expect(line).toBe("NODE22=<a Node 22 binary> UPSTREAM_NODE22_DIR=<openfaas/templates template/node22, npm installed> npm run bench -- template");
    expect(commandLine([], {})).toBe("npm run bench");
  });
});
