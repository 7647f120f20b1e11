/**
 * The sandbox side of the connector deployments: the shipped `sandbox.yaml` renders to the IAM
 * objects and pod specs `npm start` uses; a malformed instance stops start-up naming it; a crashed
 * connector pod is restarted (restartPolicy: Always) with its lines kept; stop removes the pods.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { startSandbox } from "@node-ts-iam/sandbox";
import { readSandboxConnectors, renderSandboxConnectors } from "../../sandbox/src/runner/connector-deployments.js";
import { repoRoot } from "../functions/support/repo.js";

describe("connectors/cron-connector/sandbox.yaml", () => {
  it("declares the article's connector and a staging-only instance, rendered as for a cluster", async () => {
    const instances = await readSandboxConnectors(repoRoot);
    expect(instances).toEqual([
      { name: "cron-connector", namespaces: ["openfaas-fn", "dev"], invoke: ["openfaas-fn:preview-janitor"] },
      { name: "cron-connector-staging", namespaces: ["staging"] },
    ]);
    const { iamYaml, specs } = renderSandboxConnectors(instances, 3600);
    const kinds = parseAllDocuments(iamYaml).map((d) => `${(d.toJS() as { kind: string }).kind} ${(d.toJS() as { metadata: { name: string } }).metadata.name}`);
    expect(kinds).toEqual([
      "ServiceAccount cron-connector",
      "Policy cron-connector",
      "Role cron-connector",
      "ServiceAccount cron-connector-staging",
      "Policy cron-connector-staging",
      "Role cron-connector-staging",
    ]);
    expect(specs).toEqual([
      { name: "cron-connector", namespace: "openfaas", serviceAccount: "cron-connector", env: { gateway_url: "http://gateway.openfaas:8080", token_mount_path: "/var/secrets/tokens" }, expirationSeconds: 3600 },
      {
        name: "cron-connector-staging",
        namespace: "openfaas",
        serviceAccount: "cron-connector-staging",
        env: { gateway_url: "http://gateway.openfaas:8080", token_mount_path: "/var/secrets/tokens" },
        expirationSeconds: 3600,
      },
    ]);
  });

  it("a malformed file or instance stops start-up, naming it", async () => {
    const root = mkdtempSync(join(tmpdir(), "connectors-root-"));
    try {
      mkdirSync(join(root, "connectors", "cron-connector"), { recursive: true });
      writeFileSync(join(root, "connectors", "cron-connector", "sandbox.yaml"), "- name: x\n");
      await expect(readSandboxConnectors(root)).rejects.toThrow(/sandbox\.yaml: item 0: needs name \(string\), namespaces/);
      expect(() => renderSandboxConnectors([{ name: "Bad_Name", namespaces: ["dev"] }], 3600)).toThrow(/connector "Bad_Name": name: "Bad_Name" is not a Kubernetes name/);
      await expect(startSandbox({ root, port: 0, runFunctions: false, connectors: [{ name: "c", namespaces: ["dev"], env: { NODE_OPTIONS: "--require /tmp/x.js" } }] })).rejects.toThrow(
        /connector openfaas\/c: environment variable NODE_OPTIONS is not allowed in the sandbox/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("connector pods", () => {
  it("a crashed connector is restarted with its lines kept, and stop removes its pod", async () => {
    const sandboxLog: string[] = [];
    const sb = await startSandbox({ root: repoRoot, stackFile: null, port: 0, runFunctions: false, connectors: [{ name: "cron-connector", namespaces: ["dev"] }], log: (l) => sandboxLog.push(l) });
    try {
      const until = async (what: string, probe: () => boolean): Promise<void> => {
        const deadline = Date.now() + 15_000;
        while (!probe()) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      const current = () => sb.connectors.find((c) => c.name === "cron-connector");
      await until("the connector's first lines", () => (current()?.lines ?? []).some((l) => l.includes("Gateway URL:")));
      const first = current()!;
      expect(existsSync(join(first.tokenDir, "openfaas-token"))).toBe(true);
      process.kill(first.pid, "SIGKILL");
      await until("a new pod", () => current() !== undefined && current()!.pid !== first.pid);
      const second = current()!;
      expect(sandboxLog.some((l) => /^connector openfaas\/cron-connector: process exited \(SIGKILL\); restarting in 1000 ms$/.test(l))).toBe(true);
      expect(second.tokenDir).not.toBe(first.tokenDir);
      expect(existsSync(first.tokenDir)).toBe(false);
      // The lines of the first pod are kept before the second's.
      await until("the restarted pod's first lines", () => second.lines.filter((l) => l.includes("Gateway URL:")).length >= 2);
      await sb.stop();
      expect(existsSync(second.tokenDir)).toBe(false);
      expect(() => process.kill(second.pid, 0)).toThrow();
    } finally {
      await sb.stop();
    }
  }, 30_000);
});
