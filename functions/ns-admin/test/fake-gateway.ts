/**
 * An in-memory gateway for unit tests: namespaces, functions and secrets, an IAM-like namespace
 * allow-list that answers 403 like the SDK's `ForbiddenError`, and a record of every call.
 */
import type {
  FunctionDeployment as FunctionSpec,
  FunctionStatus as FunctionInfo,
  LogMessage as LogLine,
  LogsRequest as LogQuery,
  Secret as SecretWrite,
  SecretDescription as SecretInfo,
} from "@node-ts-iam/sdk";
import { gatewayStatusError } from "@node-ts-iam/sdk/kit";
import type { NsAdminGateway } from "../src/gateway.js";

export class FakeGateway implements NsAdminGateway {
  readonly calls: string[] = [];
  readonly namespaces = new Set<string>(["dev", "staging", "team-a-web", "openfaas-fn"]);
  readonly functions = new Map<string, FunctionSpec & { replicas: number }>();
  readonly secrets = new Map<string, SecretWrite>();
  logs: LogLine[] = [];

  /** Namespaces the fake "policy" grants; others answer 403. */
  constructor(private readonly granted: (namespace: string) => boolean = () => true) {}

  private check(op: string, namespace: string): void {
    this.calls.push(`${op} ${namespace}`);
    if (!this.granted(namespace)) {
      throw gatewayStatusError(403, `forbidden: action not allowed on ${namespace}:*`);
    }
    if (!this.namespaces.has(namespace)) throw gatewayStatusError(404, `namespace ${namespace} not found`);
  }

  async getNamespaces(): Promise<string[]> {
    this.calls.push("getNamespaces");
    return [...this.namespaces];
  }
  async getFunctions(namespace: string): Promise<FunctionInfo[]> {
    this.check("getFunctions", namespace);
    return [...this.functions.values()].filter((f) => f.namespace === namespace).map(toInfo);
  }
  async getFunction(name: string, namespace: string): Promise<FunctionInfo> {
    this.check("getFunction", namespace);
    const fn = this.functions.get(`${namespace}/${name}`);
    if (!fn) throw gatewayStatusError(404, `function ${name} not found`);
    return toInfo(fn);
  }
  async deploy(spec: FunctionSpec): Promise<number> {
    this.check("deploy", spec.namespace ?? "");
    const key = `${spec.namespace}/${spec.service}`;
    if (this.functions.has(key)) throw gatewayStatusError(409, "function exists");
    this.functions.set(key, { ...spec, replicas: 1 });
    return 202;
  }
  async update(spec: FunctionSpec): Promise<number> {
    this.check("update", spec.namespace ?? "");
    const key = `${spec.namespace}/${spec.service}`;
    const old = this.functions.get(key);
    if (!old) throw gatewayStatusError(404, "function not found");
    this.functions.set(key, { ...spec, replicas: old.replicas });
    return 202;
  }
  async deleteFunction(name: string, namespace: string): Promise<void> {
    this.check("deleteFunction", namespace);
    if (!this.functions.delete(`${namespace}/${name}`)) throw gatewayStatusError(404, "function not found");
  }
  async scaleFunction(name: string, namespace: string, replicas: number): Promise<void> {
    this.check("scaleFunction", namespace);
    const fn = this.functions.get(`${namespace}/${name}`);
    if (!fn) throw gatewayStatusError(404, "function not found");
    fn.replicas = replicas;
  }
  async getSecrets(namespace: string): Promise<SecretInfo[]> {
    this.check("getSecrets", namespace);
    return [...this.secrets.values()].filter((s) => s.namespace === namespace).map((s) => ({ name: s.name, namespace }));
  }
  async createSecret(secret: SecretWrite): Promise<number> {
    this.check("createSecret", secret.namespace ?? "");
    const key = `${secret.namespace}/${secret.name}`;
    if (this.secrets.has(key)) throw gatewayStatusError(409, "secret exists");
    this.secrets.set(key, secret);
    return 202;
  }
  async updateSecret(secret: SecretWrite): Promise<number> {
    this.check("updateSecret", secret.namespace ?? "");
    const key = `${secret.namespace}/${secret.name}`;
    if (!this.secrets.has(key)) throw gatewayStatusError(404, "secret not found");
    this.secrets.set(key, secret);
    return 202;
  }
  async deleteSecret(name: string, namespace: string): Promise<void> {
    this.check("deleteSecret", namespace);
    if (!this.secrets.delete(`${namespace}/${name}`)) throw gatewayStatusError(404, "secret not found");
  }
  async *getLogs(query: LogQuery): AsyncIterable<LogLine> {
    this.check("getLogs", query.namespace ?? "");
    for (const line of this.logs) if (line.name === query.name) yield line;
  }
}

function toInfo(fn: FunctionSpec & { replicas: number }): FunctionInfo {
  return { name: fn.service, image: fn.image, namespace: fn.namespace, replicas: fn.replicas, labels: fn.labels ?? {}, annotations: fn.annotations ?? {} };
}
