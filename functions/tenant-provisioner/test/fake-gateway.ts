/**
 * An in-memory gateway for unit tests: namespaces with metadata, functions, secrets, an IAM-like
 * grant per namespace (403 otherwise), a failure switch per operation, and a call log.
 */
import type { FunctionStatus as FunctionInfo, NamespaceInfo, Secret, SecretDescription as SecretInfo } from "@node-ts-iam/sdk";
import { gatewayStatusError } from "@node-ts-iam/sdk/kit";
import type { ProvisionerGateway, TenantFunction as FunctionSpec } from "../src/gateway.js";

/** A secret as the provisioner writes it: always a text value in a namespace. */
type SecretWrite = Secret & { namespace: string; value: string };

export class FakeGateway implements ProvisionerGateway {
  readonly calls: string[] = [];
  readonly namespaces = new Map<string, NamespaceInfo>([["dev", { name: "dev", labels: { openfaas: "1" } }]]);
  readonly functions = new Map<string, FunctionSpec>();
  readonly secrets = new Map<string, SecretWrite>();
  /** Operations (e.g. `deploy`) that fail with a 500-like error while listed here. */
  readonly failing = new Set<string>();

  constructor(private readonly granted: (namespace: string) => boolean = (ns) => ns.startsWith("tenant-")) {}

  private check(op: string, namespace: string, mustExist = true): void {
    this.calls.push(`${op} ${namespace}`);
    if (!this.granted(namespace)) throw gatewayStatusError(403, `forbidden: ${op} on ${namespace}:*`);
    if (this.failing.has(op)) throw gatewayStatusError(500, "boom");
    if (mustExist && !this.namespaces.has(namespace)) throw gatewayStatusError(404, `namespace ${namespace} not found`);
  }

  async getNamespaces(): Promise<string[]> {
    this.calls.push("getNamespaces");
    return [...this.namespaces.keys()];
  }
  async getNamespace(name: string): Promise<NamespaceInfo> {
    this.check("getNamespace", name);
    return structuredClone(this.namespaces.get(name)!);
  }
  async createNamespace(ns: NamespaceInfo): Promise<number> {
    this.check("createNamespace", ns.name, false);
    if (this.namespaces.has(ns.name)) throw gatewayStatusError(409, "namespace exists");
    this.namespaces.set(ns.name, structuredClone(ns));
    return 201;
  }
  async updateNamespace(ns: NamespaceInfo): Promise<number> {
    this.check("updateNamespace", ns.name);
    this.namespaces.set(ns.name, structuredClone(ns));
    return 200;
  }
  async deleteNamespace(name: string): Promise<void> {
    this.check("deleteNamespace", name);
    this.namespaces.delete(name);
  }
  async getFunctions(namespace: string): Promise<FunctionInfo[]> {
    this.check("getFunctions", namespace);
    return [...this.functions.values()]
      .filter((f) => f.namespace === namespace)
      .map((f) => ({ name: f.service, image: f.image, namespace: f.namespace, labels: { ...f.labels }, envVars: { ...f.envVars }, secrets: [...(f.secrets ?? [])] }));
  }
  async deploy(spec: FunctionSpec): Promise<number> {
    this.check("deploy", spec.namespace);
    if (this.functions.has(`${spec.namespace}/${spec.service}`)) throw gatewayStatusError(409, "function exists");
    this.functions.set(`${spec.namespace}/${spec.service}`, structuredClone(spec));
    return 202;
  }
  async update(spec: FunctionSpec): Promise<number> {
    this.check("update", spec.namespace);
    this.functions.set(`${spec.namespace}/${spec.service}`, structuredClone(spec));
    return 202;
  }
  async deleteFunction(name: string, namespace: string): Promise<void> {
    this.check("deleteFunction", namespace);
    if (!this.functions.delete(`${namespace}/${name}`)) throw gatewayStatusError(404, "function not found");
  }
  async getSecrets(namespace: string): Promise<SecretInfo[]> {
    this.check("getSecrets", namespace);
    return [...this.secrets.values()].filter((s) => s.namespace === namespace).map((s) => ({ name: s.name, namespace }));
  }
  async createSecret(secret: SecretWrite): Promise<number> {
    this.check("createSecret", secret.namespace);
    if (this.secrets.has(`${secret.namespace}/${secret.name}`)) throw gatewayStatusError(409, "secret exists");
    this.secrets.set(`${secret.namespace}/${secret.name}`, { ...secret });
    return 202;
  }
  async deleteSecret(name: string, namespace: string): Promise<void> {
    this.check("deleteSecret", namespace);
    if (!this.secrets.delete(`${namespace}/${name}`)) throw gatewayStatusError(404, "secret not found");
  }
}
