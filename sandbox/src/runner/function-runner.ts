import { randomBytes } from "node:crypto";
import { mkdir, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import type { ServiceAccountIssuer } from "../issuer/service-account-issuer.js";
import type { LogStore } from "../logs/log-store.js";
import { writeAtomically } from "../projection/atomic-writer.js";
import { TokenProjector } from "../projection/token-projector.js";
import { SERVICE_ACCOUNT_ANNOTATION, type FunctionRecord } from "../state/model.js";
import { FunctionAuthenticator, jwtAuthEnabled, type FunctionTokenKeys } from "../watchdog/function-auth.js";
import { PodWatchdog } from "../watchdog/pod-watchdog.js";
import { FunctionProcess } from "./function-process.js";
import { buildHandler, type HandlerModule } from "./handler-build.js";
import { recordPodProcess } from "./orphan-pods.js";
import { podEnvironment } from "./pod-environment.js";
import { podName, restartDelayMs } from "./pods.js";
import type { StackFunction } from "./stack.js";

const DEFAULT_READY_PATH = "/_/ready";

/** A running function instance, as `Sandbox.functions` lists it. */
export interface RunningFunction {
  name: string;
  namespace: string;
  /** The pod's address (its watchdog stand-in). */
  url: string;
  pid: number;
  /** Whether the deployment sets `jwt_auth=true`. */
  jwtAuth: boolean;
}

export interface FunctionRunnerOptions {
  /** Where pods get their token and secret directories. */
  runDir: string;
  /** `template/node-ts-iam/dist/main.js` (or a stand-in in tests). */
  serverScript: string;
  /** The pod guard preloaded into every function process (stops it when the sandbox dies). */
  guardScript: string;
  /**
   * A folder of the sandbox's own (mode 0700) for the pods' sockets: each function process listens on a
   * Unix socket there, not on a port, so that only its watchdog stand-in reaches it (a loopback port
   * is open to any local program and any web page, and would let them past `jwt_auth`).
   */
  socketDir: string;
  /** Stack functions by the image they build. */
  stackImages: Map<string, StackFunction>;
  issuer: ServiceAccountIssuer;
  gatewayUrl: () => string;
  /** The gateway's discovery issuer and keys, which a pod's watchdog reads once when it starts (for `jwt_auth`). */
  functionTokenKeys: () => FunctionTokenKeys;
  timeScale: number;
  tokenExpirationSeconds: number;
  logs: LogStore;
  /** False: deployments are recorded but no process is started (`runFunctions: false`). */
  enabled: boolean;
  secretValue: (namespace: string, name: string) => Buffer | undefined;
  log: (line: string) => void;
  /** The watchdog stand-ins' read timeout (ms); default theirs. */
  readTimeoutMs?: number;
}

interface Instance {
  key: string;
  record: FunctionRecord;
  pod: string;
  dir: string;
  process?: FunctionProcess;
  /** In front of the process, as of-watchdog is in front of the function in its container. */
  watchdog?: PodWatchdog;
  projector?: TokenProjector;
  /** The Unix socket its process listens on. */
  socket?: string;
  ready: boolean;
  stopping: boolean;
  restarts: number;
  restartTimer?: NodeJS.Timeout;
}

/**
 * Runs every deployed function whose image a stack function builds as its own process of the
 * template server, with a kubelet-style projected token and secret files, like a pod.
 */
export class FunctionRunner {
  private readonly instances = new Map<string, Instance>();
  private readonly builds = new Map<string, Promise<HandlerModule>>();
  /** The last start/stop queued per function: they run one at a time, like a pod's lifecycle. */
  private readonly lifecycles = new Map<string, Promise<void>>();
  /** Set by stopAll: a deployment still in flight then starts nothing. */
  private closed = false;

  constructor(private readonly options: FunctionRunnerOptions) {}

  /** Whether a deployment of `image` can run here (a stack function of lang node-ts-iam builds it). */
  isRunnable(image: string): boolean {
    return this.options.stackImages.has(image);
  }

  /** Whether function processes are started at all. */
  get enabled(): boolean {
    return this.options.enabled;
  }

  /** Running instances: ready, with their watchdog in front (never the process's own address, which bypasses `jwt_auth`). */
  list(): RunningFunction[] {
    const out: RunningFunction[] = [];
    for (const i of this.instances.values()) {
      if (i.ready && i.watchdog && i.process?.pid !== undefined) {
        out.push({ name: i.record.deployment.service, namespace: i.record.deployment.namespace, url: i.watchdog.url, pid: i.process.pid, jwtAuth: jwtAuthEnabled(i.record.deployment.envVars) });
      }
    }
    return out;
  }

  /** Where the instance is served (its watchdog), if it is ready. */
  endpoint(namespace: string, name: string): string | undefined {
    const i = this.instances.get(`${namespace}/${name}`);
    return i?.ready && i.process?.running ? i.watchdog?.url : undefined;
  }

  /** The projected token directory of the function's current pod. */
  tokenDir(namespace: string, name: string): string | undefined {
    const i = this.instances.get(`${namespace}/${name}`);
    return i?.projector ? join(i.dir, "tokens") : undefined;
  }

  /** Brings the function's process in line with its record: started (replaced) when runnable with replicas > 0, else stopped. */
  async apply(record: FunctionRecord): Promise<void> {
    const { service, namespace, image } = record.deployment;
    const key = `${namespace}/${service}`;
    return this.inLifecycle(key, async () => {
      await this.stopNow(key);
      if (this.closed || !this.options.enabled || record.replicas <= 0 || !this.isRunnable(image)) return;
      await this.start(record);
    });
  }

  /** Stops the function's process and removes its pod directory. */
  async stop(namespace: string, name: string): Promise<void> {
    const key = `${namespace}/${name}`;
    return this.inLifecycle(key, () => this.stopNow(key));
  }

  /**
   * Runs `op` after every earlier start/stop of the same function has finished: concurrent
   * deployments of one function must not each start a process (all but the last would be orphaned).
   */
  private inLifecycle(key: string, op: () => Promise<void>): Promise<void> {
    const run = (this.lifecycles.get(key) ?? Promise.resolve()).then(op);
    const settled = run.catch(() => undefined);
    this.lifecycles.set(key, settled);
    void settled.then(() => {
      if (this.lifecycles.get(key) === settled) this.lifecycles.delete(key);
    });
    return run;
  }

  private async stopNow(key: string): Promise<void> {
    const i = this.instances.get(key);
    if (!i) return;
    this.instances.delete(key);
    await this.teardown(i);
  }

  /**
   * Stops an instance's process and token rotation and removes its pod directory. Idempotent: a
   * start still in progress runs it again for what it created after being stopped.
   */
  private async teardown(i: Instance): Promise<void> {
    i.stopping = true;
    if (i.restartTimer) clearTimeout(i.restartTimer);
    const watchdog = i.watchdog;
    i.watchdog = undefined;
    await watchdog?.stop();
    await i.process?.stop();
    await i.projector?.stop(false);
    await rm(i.dir, { recursive: true, force: true });
    // The server removes its socket when it closes; a killed one leaves it.
    if (i.socket !== undefined) await rm(i.socket, { force: true });
    i.socket = undefined;
  }

  /** Rewrites the secret volume of every running pod that mounts it (Kubernetes updates mounted secrets too). */
  async refreshSecret(namespace: string, secret: string): Promise<void> {
    for (const i of this.instances.values()) {
      if (i.record.deployment.namespace !== namespace || !i.record.deployment.secrets.includes(secret)) continue;
      await this.writeSecrets(i.record, join(i.dir, "secrets"));
    }
  }

  /**
   * Writes the deployment's secrets that exist into its secret volume with the kubelet's atomic
   * `..data` swap (as for the token), so a function never reads a half-written or mixed set.
   */
  private async writeSecrets(record: FunctionRecord, secretDir: string): Promise<void> {
    const files: Record<string, Buffer> = {};
    for (const name of record.deployment.secrets) {
      const value = this.options.secretValue(record.deployment.namespace, name);
      if (value) files[name] = value;
    }
    await writeAtomically(secretDir, files, 0o600);
  }

  /** Stops every process. */
  async stopAll(): Promise<void> {
    this.closed = true;
    const keys = new Set([...this.instances.keys(), ...this.lifecycles.keys()]);
    await Promise.all([...keys].map((key) => this.inLifecycle(key, () => this.stopNow(key))));
  }

  private async start(record: FunctionRecord, restarts = 0): Promise<void> {
    const { service, namespace, image, annotations, envVars } = record.deployment;
    const stack = this.options.stackImages.get(image)!;
    const key = `${namespace}/${service}`;
    const pod = podName(service);
    const dir = join(this.options.runDir, "pods", namespace, pod);
    const instance: Instance = { key, record, pod, dir, ready: false, stopping: false, restarts };
    this.instances.set(key, instance);
    try {
      const handler = await this.ensureBuilt(stack.handler);
      const secretDir = join(dir, "secrets");
      await mkdir(secretDir, { recursive: true, mode: 0o700 });
      await this.writeSecrets(record, secretDir);
      const serviceAccount = annotations[SERVICE_ACCOUNT_ANNOTATION] || "default";
      const expirationSeconds = this.options.tokenExpirationSeconds;
      instance.projector = new TokenProjector({
        dir: join(dir, "tokens"),
        expirationSeconds,
        timeScale: this.options.timeScale,
        mint: () => this.options.issuer.mint({ namespace, serviceAccount, audience: [this.options.gatewayUrl()], expirationSeconds, podName: pod }),
        onError: (err) => this.options.log(`function ${key}: token refresh failed, keeping the last token: ${err.message}`),
      });
      await instance.projector.start();
      const socket = join(this.options.socketDir, `${randomBytes(6).toString("hex")}.sock`);
      instance.socket = socket;
      const homeDir = join(dir, "home");
      const tmpDir = join(dir, "tmp");
      await mkdir(homeDir, { mode: 0o700 });
      await mkdir(tmpDir, { mode: 0o700 });
      // The process runs where the image runs it, /home/app, with the function at ./function: a handler
      // that reads ./function/data.json finds it here too.
      await symlink(stack.handler, join(dir, "function"), "junction");
      // As the template server reads it: a path without a leading "/" gets one. Probing it unprefixed
      // would put it in the URL's authority ("@host/") and send the probe to another machine.
      const wanted = envVars["ready_path"] || DEFAULT_READY_PATH;
      const readyPath = wanted.startsWith("/") ? wanted : `/${wanted}`;
      const env = podEnvironment(envVars, {
        name: service,
        namespace,
        gatewayUrl: this.options.gatewayUrl(),
        socket,
        handlerPath: handler.entry,
        tokenDir: join(dir, "tokens"),
        secretDir,
        homeDir,
        tmpDir,
      });
      const appendLog = (text: string) => this.options.logs.append({ name: service, namespace, instance: pod, timestamp: new Date().toISOString(), text });
      const proc = new FunctionProcess({
        instance: pod,
        serverScript: this.options.serverScript,
        guardScript: this.options.guardScript,
        cwd: dir,
        socket,
        readyPath,
        env,
        onLine: (_stream, text) => appendLog(text),
        onExit: (code, signal) => this.onExit(instance, code, signal),
      });
      instance.process = proc;
      if (proc.pid !== undefined) await recordPodProcess(dir, proc.pid, this.options.serverScript);
      await proc.waitReady();
      instance.watchdog = await PodWatchdog.start({
        upstreamSocket: socket,
        readyPath,
        ...(jwtAuthEnabled(envVars) ? { auth: new FunctionAuthenticator({ namespace, name: service }, this.options.functionTokenKeys()) } : {}),
        log: appendLog,
        ...(this.options.readTimeoutMs !== undefined ? { readTimeoutMs: this.options.readTimeoutMs } : {}),
      });
      // Stopped (or replaced by a newer deployment) while starting: the stop could not see the
      // process and token projector created since, so they are torn down here.
      if (instance.stopping) return await this.teardown(instance);
      instance.ready = true;
      instance.restarts = 0;
    } catch (err) {
      if (this.instances.get(key) === instance) this.instances.delete(key);
      await this.teardown(instance);
      throw err;
    }
  }

  private onExit(instance: Instance, code: number | null, signal: NodeJS.Signals | null): void {
    const wasReady = instance.ready;
    instance.ready = false;
    // A process that dies before it is ready fails its start(); only a ready one is restarted here.
    if (!wasReady || instance.stopping || this.instances.get(instance.key) !== instance) return;
    const delay = restartDelayMs(instance.restarts);
    this.options.log(`function ${instance.key}: process exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
    instance.restartTimer = setTimeout(() => {
      void this.inLifecycle(instance.key, async () => {
        if (this.closed || this.instances.get(instance.key) !== instance) return;
        await this.stopNow(instance.key);
        await this.start(instance.record, instance.restarts + 1).catch((err: Error) => this.options.log(`function ${instance.key}: restart failed: ${err.message}`));
      });
    }, delay);
    instance.restartTimer.unref();
  }

  private ensureBuilt(handlerDir: string): Promise<HandlerModule> {
    let pending = this.builds.get(handlerDir);
    if (!pending) {
      pending = buildHandler(handlerDir).finally(() => this.builds.delete(handlerDir));
      this.builds.set(handlerDir, pending);
    }
    return pending;
  }
}
