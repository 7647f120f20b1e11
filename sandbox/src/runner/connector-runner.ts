/**
 * Runs connector deployments (the cron-connector) like pods in namespace `openfaas`: one process per
 * deployment with the pod guard, its own service account's projected token (kubelet-style layout,
 * rotated at 80 % of its lifetime, timers divided by the time scale), its own HOME and TMPDIR, a pid
 * file for the orphan sweep, and restarts with back-off (`restartPolicy: Always`). The process is the
 * connector's own program, configured by the deployment's environment; the sandbox points
 * `gateway_url` at itself and `token_mount_path` at the pod's token, as the cluster's DNS and
 * the projected volume do there.
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ServiceAccountIssuer } from "../issuer/service-account-issuer.js";
import { TokenProjector } from "../projection/token-projector.js";
import { FunctionProcess } from "./function-process.js";
import { recordPodProcess } from "./orphan-pods.js";
import { firstReservedVariable, hostEnvironment } from "./pod-environment.js";
import { podName, restartDelayMs } from "./pods.js";

/** One connector deployment, as its Deployment object describes it. */
export interface ConnectorSpec {
  name: string;
  namespace: string;
  serviceAccount: string;
  /** The container's environment as the manifests set it (`gateway_url` and `token_mount_path` are replaced). */
  env: Readonly<Record<string, string>>;
  /** `expirationSeconds` of its projected token. */
  expirationSeconds: number;
}

/** A running connector, as `Sandbox.connectors` lists it. */
export interface RunningConnector {
  name: string;
  namespace: string;
  pid: number;
  /** Its projected token directory (holds `openfaas-token`). */
  tokenDir: string;
  /** Its latest output lines (at most {@link KEPT_LINES}). */
  readonly lines: readonly string[];
}

/** Options of {@link ConnectorRunner}. */
export interface ConnectorRunnerOptions {
  runDir: string;
  /** The connector program (`connectors/cron-connector/dist/main.js`). */
  script: string;
  guardScript: string;
  issuer: ServiceAccountIssuer;
  gatewayUrl: () => string;
  timeScale: number;
  log: (line: string) => void;
}

/** Output lines kept per connector for `Sandbox.connectors`. */
export const KEPT_LINES = 2000;
// Variables the sandbox sets for the pod; the deployment's own values for them are replaced.
const OWNED = new Set(["gateway_url", "token_mount_path", "cron_time_scale"]);

interface Instance {
  spec: ConnectorSpec;
  dir: string;
  projector: TokenProjector;
  process: FunctionProcess;
  lines: string[];
  stopping: boolean;
  restarts: number;
  restartTimer?: NodeJS.Timeout;
}

/** Starts, restarts and stops connector pods. */
export class ConnectorRunner {
  readonly #options: ConnectorRunnerOptions;
  readonly #instances = new Map<string, Instance>();
  #closed = false;

  constructor(options: ConnectorRunnerOptions) {
    this.#options = options;
  }

  /** Running connectors. */
  list(): RunningConnector[] {
    return [...this.#instances.values()]
      .filter((i) => i.process.running && i.process.pid !== undefined)
      .map((i) => ({ name: i.spec.name, namespace: i.spec.namespace, pid: i.process.pid!, tokenDir: i.projector.dir, lines: i.lines }));
  }

  /** Starts the connector's pod; rejects when its token cannot be minted or its environment is refused. */
  async start(spec: ConnectorSpec, restarts = 0, lines: string[] = []): Promise<void> {
    const key = `${spec.namespace}/${spec.name}`;
    const own = Object.fromEntries(Object.entries(spec.env).filter(([name]) => !OWNED.has(name)));
    const reserved = firstReservedVariable(own);
    if (reserved) throw new Error(`connector ${key}: environment variable ${reserved.name} is not allowed in the sandbox: ${reserved.reason}`);
    const pod = podName(spec.name);
    const dir = join(this.#options.runDir, "pods", spec.namespace, pod);
    await mkdir(join(dir, "home"), { recursive: true, mode: 0o700 });
    await mkdir(join(dir, "tmp"), { recursive: true, mode: 0o700 });
    const projector = new TokenProjector({
      dir: join(dir, "tokens"),
      expirationSeconds: spec.expirationSeconds,
      timeScale: this.#options.timeScale,
      mint: () =>
        this.#options.issuer.mint({ namespace: spec.namespace, serviceAccount: spec.serviceAccount, audience: [this.#options.gatewayUrl()], expirationSeconds: spec.expirationSeconds, podName: pod }),
      onError: (err) => this.#options.log(`connector ${key}: token refresh failed, keeping the last token: ${err.message}`),
    });
    try {
      await projector.start();
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    const env = {
      ...hostEnvironment(),
      ...own,
      gateway_url: this.#options.gatewayUrl(),
      token_mount_path: projector.dir,
      // The schedule clock runs as fast as the sandbox's: */15 minutes is every 15 s at --time-scale 60.
      cron_time_scale: String(this.#options.timeScale),
      HOME: join(dir, "home"),
      TMPDIR: join(dir, "tmp"),
    };
    const instance: Instance = {
      spec,
      dir,
      projector,
      lines,
      stopping: false,
      restarts,
      process: new FunctionProcess({
        instance: pod,
        serverScript: this.#options.script,
        guardScript: this.#options.guardScript,
        env,
        // A connector serves no HTTP: no socket, no readiness probe (the process running is the pod running).
        socket: "",
        readyPath: "",
        onLine: (_stream, text) => {
          lines.push(text);
          if (lines.length > KEPT_LINES) lines.splice(0, lines.length - KEPT_LINES);
          this.#options.log(`${key}: ${text}`);
        },
        onExit: (code, signal) => this.#onExit(key, instance, code, signal),
      }),
    };
    this.#instances.set(key, instance);
    if (instance.process.pid !== undefined) await recordPodProcess(dir, instance.process.pid, this.#options.script);
  }

  /** Stops every connector pod (SIGTERM, then SIGKILL after a grace period) and removes its directory. */
  async stopAll(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#instances.values()].map((i) => this.#teardown(i)));
    this.#instances.clear();
  }

  async #teardown(instance: Instance): Promise<void> {
    instance.stopping = true;
    if (instance.restartTimer) clearTimeout(instance.restartTimer);
    await instance.process.stop();
    await instance.projector.stop(false);
    await rm(instance.dir, { recursive: true, force: true });
  }

  #onExit(key: string, instance: Instance, code: number | null, signal: NodeJS.Signals | null): void {
    if (instance.stopping || this.#closed || this.#instances.get(key) !== instance) return;
    const delay = restartDelayMs(instance.restarts);
    this.#options.log(`connector ${key}: process exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
    instance.restartTimer = setTimeout(() => {
      if (this.#closed || this.#instances.get(key) !== instance) return;
      void this.#teardown(instance)
        .then(() => this.start(instance.spec, instance.restarts + 1, instance.lines))
        .catch((err: Error) => this.#options.log(`connector ${key}: restart failed: ${err.message}`));
    }, delay);
    instance.restartTimer.unref();
  }
}
