/**
 * An in-memory stand-in for the SDK client's `getNamespaces`, `getFunctions` and `invokeFunction`,
 * throwing the SDK's own error classes (built by `gatewayStatusError`) so the connector's error
 * handling is exercised as against a real gateway.
 */
import { NetworkError, type CallOptions, type FunctionStatus, type InvokeRequest, type InvokeResult } from "@node-ts-iam/sdk";
import { gatewayStatusError } from "@node-ts-iam/sdk/kit";
import type { ConnectorGateway } from "../../../connectors/cron-connector/src/connector.js";

/** One invocation the fake received. */
export interface FakeInvocation {
  name: string;
  namespace: string | undefined;
  request: InvokeRequest;
  options: CallOptions | undefined;
}

/** A scheduled function as the gateway would list it. */
export function cronFunction(name: string, schedule: string | undefined, extra: Partial<FunctionStatus> = {}): FunctionStatus {
  return {
    name,
    image: `ghcr.io/example/${name}:1`,
    annotations: { topic: "cron-function", ...(schedule !== undefined ? { schedule } : {}) },
    ...extra,
  };
}

/** The fake gateway: change its fields between rebuilds. */
export class FakeGateway implements ConnectorGateway {
  /** Functions by namespace; the namespace list is its keys unless `namespaceList` is set. */
  functions = new Map<string, FunctionStatus[]>();
  namespaceList: string[] | undefined;
  /** Namespaces whose function listing answers 403. */
  denied = new Set<string>();
  /** When set, every listing fails with a network error (a gateway restart). */
  down = false;
  /** When set, the namespace listing answers 403. */
  namespacesDenied = false;
  /** Answer to invocations (default 200 "ok"). */
  answer: (name: string, namespace: string | undefined, request: InvokeRequest) => InvokeResult = () => ({ status: 200, headers: {}, body: Buffer.from("ok") });
  readonly invocations: FakeInvocation[] = [];
  listCalls = 0;

  #refused(path: string): NetworkError {
    return new NetworkError({ method: "GET", path }, false, Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8080"), { code: "ECONNREFUSED" }));
  }

  async getNamespaces(): Promise<string[]> {
    this.listCalls++;
    if (this.down) throw this.#refused("/system/namespaces");
    if (this.namespacesDenied) throw gatewayStatusError(403, "forbidden: may not Namespace:List on *");
    return this.namespaceList ?? [...this.functions.keys()];
  }

  async getFunctions(namespace?: string): Promise<FunctionStatus[]> {
    if (this.down) throw this.#refused("/system/functions");
    if (namespace !== undefined && this.denied.has(namespace)) throw gatewayStatusError(403, `forbidden: may not Function:List on ${namespace}:*`);
    const list = this.functions.get(namespace ?? "openfaas-fn");
    if (!list) throw gatewayStatusError(404, `namespace ${namespace} not found`);
    return structuredClone(list);
  }

  async invokeFunction(name: string, namespace: string | undefined, request: InvokeRequest = {}, options?: CallOptions): Promise<InvokeResult> {
    this.invocations.push({ name, namespace, request, options });
    return this.answer(name, namespace, request);
  }
}
