/**
 * The connector deployments of the sandbox: each instance of `connectors/cron-connector/sandbox.yaml`
 * (or given in the options) is rendered with the connector's own `connectorManifests`, the very
 * objects `npm run connector:render` writes for a cluster. The IAM objects (ServiceAccount, Policy,
 * Role) are loaded like any manifest; the Deployment becomes a {@link ConnectorSpec} the
 * {@link ConnectorRunner} runs.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { connectorManifests, type KubeObject } from "@node-ts-iam/cron-connector";
import { parse, stringify } from "yaml";
import type { ManifestText } from "../iam/manifest-loader.js";
import type { ConnectorSpec } from "./connector-runner.js";

/** One connector instance: the render values the sandbox does not supply itself. */
export interface SandboxConnector {
  /** Name of its ServiceAccount, Policy, Role and Deployment. */
  name: string;
  /** Namespaces whose functions it schedules. */
  namespaces: string[];
  /** Functions it may invoke with a function token (`<namespace>:<function>`). */
  invoke?: string[];
  /** Extra settings (`rebuild_interval`, `asynchronous_invocation`, ...). */
  env?: Record<string, string>;
}

/** The connector deployments a checkout declares for the sandbox. */
export const CONNECTORS_FILE = join("connectors", "cron-connector", "sandbox.yaml");
/** The connector program, built by `npm run build`. */
export const CONNECTOR_SCRIPT = join("connectors", "cron-connector", "dist", "main.js");
// The IAM objects do not depend on the audience, and the runner gives the pod the sandbox's URL, as
// the kubelet would project it; the image is this checkout's build. Both only satisfy the renderer.
const RENDER_AUDIENCE = "http://127.0.0.1";
const RENDER_IMAGE = "node-ts-iam/cron-connector:sandbox";

/** Reads the instances of `<root>/connectors/cron-connector/sandbox.yaml` (none when the file is absent). */
export async function readSandboxConnectors(root: string): Promise<SandboxConnector[]> {
  const file = join(root, CONNECTORS_FILE);
  if (!existsSync(file)) return [];
  const value: unknown = parse(await readFile(file, "utf8"));
  if (!Array.isArray(value)) throw new Error(`${file}: expected a list of connector instances`);
  return value.map((entry, i) => {
    const e = entry as Partial<SandboxConnector> | null;
    const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");
    if (!e || typeof e.name !== "string" || !strings(e.namespaces) || (e.invoke !== undefined && !strings(e.invoke))) {
      throw new Error(`${file}: item ${i}: needs name (string), namespaces (list of names) and optionally invoke (list of <namespace>:<function>)`);
    }
    return e as SandboxConnector;
  });
}

/** Renders the instances: their IAM objects as one YAML text, and the deployments to run. */
export function renderSandboxConnectors(instances: readonly SandboxConnector[], expirationSeconds: number): { iamYaml: string; specs: ConnectorSpec[] } {
  const iam: KubeObject[] = [];
  const specs: ConnectorSpec[] = [];
  for (const instance of instances) {
    let objects: KubeObject[];
    try {
      objects = connectorManifests({ ...instance, gatewayURL: RENDER_AUDIENCE, image: RENDER_IMAGE, expirationSeconds, ...(instance.env ? { env: instance.env } : {}) });
    } catch (err) {
      throw new Error(`connector ${JSON.stringify(instance.name)}: ${(err as Error).message}`);
    }
    iam.push(...objects.filter((o) => o.kind !== "Deployment"));
    specs.push(specOf(objects.find((o) => o.kind === "Deployment")!));
  }
  return { iamYaml: iam.map((o) => stringify(o)).join("---\n"), specs };
}

/** The rendered IAM objects as the manifest text the loader reads (none when no instance is declared). */
export function connectorIamManifests(rendered: { iamYaml: string; specs: readonly ConnectorSpec[] }): ManifestText[] {
  return rendered.specs.length > 0 ? [{ file: `${CONNECTORS_FILE} (rendered)`, text: rendered.iamYaml }] : [];
}

interface DeploymentShape {
  spec: {
    template: {
      spec: {
        serviceAccountName: string;
        containers: { env: { name: string; value: string }[] }[];
        volumes: { projected: { sources: { serviceAccountToken: { expirationSeconds: number } }[] } }[];
      };
    };
  };
}

function specOf(deployment: KubeObject): ConnectorSpec {
  const pod = (deployment as unknown as DeploymentShape).spec.template.spec;
  return {
    name: deployment.metadata.name,
    namespace: deployment.metadata.namespace,
    serviceAccount: pod.serviceAccountName,
    env: Object.fromEntries(pod.containers[0]!.env.map((e) => [e.name, e.value])),
    expirationSeconds: pod.volumes[0]!.projected.sources[0]!.serviceAccountToken.expirationSeconds,
  };
}
