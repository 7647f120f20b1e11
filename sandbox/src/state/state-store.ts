import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic-file.js";
import type { FunctionRecord, NamespaceRecord, SandboxState, SecretRecord } from "./model.js";

/** The namespace functions go to when none is given (the OpenFaaS default). */
export const DEFAULT_FUNCTION_NAMESPACE = "openfaas-fn";
const MANAGED = { openfaas: "1" };

/**
 * A namespace record as OpenFaaS manages it: label and annotation `openfaas: "1"` always set
 * (https://docs.openfaas.com/reference/namespaces/; faas-netes `pkg/handlers/namespaces.go` lists
 * namespaces by that annotation).
 */
export function managedNamespace(name: string, labels?: Record<string, string> | null, annotations?: Record<string, string> | null): NamespaceRecord {
  return { name, labels: { ...labels, ...MANAGED }, annotations: { ...annotations, ...MANAGED } };
}

function emptyState(): SandboxState {
  return {
    version: 1,
    namespaces: [managedNamespace(DEFAULT_FUNCTION_NAMESPACE)],
    functions: [],
    secrets: [],
  };
}

/** Lookups on a state (the current one, or the draft a `mutate` change sees). */
export const findNamespace = (state: SandboxState, name: string): NamespaceRecord | undefined => state.namespaces.find((n) => n.name === name);
export const findFunction = (state: SandboxState, name: string, namespace: string): FunctionRecord | undefined =>
  state.functions.find((f) => f.deployment.service === name && f.deployment.namespace === namespace);
export const findSecret = (state: SandboxState, name: string, namespace: string): SecretRecord | undefined =>
  state.secrets.find((s) => s.name === name && s.namespace === namespace);

/**
 * Namespaces, functions and secrets, kept in memory and, with a state directory, in
 * `state.json`. Every mutation is written atomically (and fsynced) before it resolves, so a write
 * the API has acknowledged survives `kill -9`. Writes are serialised.
 */
export class StateStore {
  private state: SandboxState = emptyState();
  private queue: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string | undefined) {}

  /** Opens (or creates) the store; `stateDir` undefined = ephemeral (memory only). */
  static async open(stateDir: string | undefined): Promise<StateStore> {
    if (stateDir === undefined) return new StateStore(undefined);
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const store = new StateStore(join(stateDir, "state.json"));
    const text = await readFile(store.file!, "utf8").catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return undefined;
      throw err;
    });
    if (text !== undefined) {
      let parsed: SandboxState;
      try {
        parsed = JSON.parse(text) as SandboxState;
      } catch {
        // The parser's message quotes the text, which holds secret values: describe, never echo.
        throw new Error(`${store.file}: not valid JSON; repair or remove it (it holds the sandbox's namespaces, functions and secrets)`);
      }
      if (parsed.version !== 1) throw new Error(`${store.file}: unsupported state version ${String(parsed.version)}`);
      store.state = parsed;
    }
    return store;
  }

  get namespaces(): readonly NamespaceRecord[] {
    return this.state.namespaces;
  }

  get functions(): readonly FunctionRecord[] {
    return this.state.functions;
  }

  get secrets(): readonly SecretRecord[] {
    return this.state.secrets;
  }

  namespace(name: string): NamespaceRecord | undefined {
    return findNamespace(this.state, name);
  }

  function(name: string, namespace: string): FunctionRecord | undefined {
    return findFunction(this.state, name, namespace);
  }

  secret(name: string, namespace: string): SecretRecord | undefined {
    return findSecret(this.state, name, namespace);
  }

  /**
   * Applies `change` to a copy of the state, persists it, then makes it current. Changes run one
   * at a time, so a precondition checked on the draft (exists, conflicts) holds when it is written;
   * if `change` throws, nothing is written and `mutate` rejects with that error.
   */
  async mutate(change: (draft: SandboxState) => void): Promise<void> {
    const run = this.queue.then(async () => {
      const draft = structuredClone(this.state);
      change(draft);
      if (this.file) await writeFileAtomic(this.file, JSON.stringify(draft, null, 1));
      this.state = draft;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
