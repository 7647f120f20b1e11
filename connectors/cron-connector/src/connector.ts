/**
 * The connector: every `rebuild_interval` it lists the namespaces it may see (or the ones it is
 * configured with), then the functions there that carry `topic: cron-function` and a `schedule`,
 * and brings the running schedule in line (`Added:`, `Removed:`); the {@link CronTable} invokes
 * each on time through the {@link Invoker}.
 *
 * Problems are logged once, when they start, and once when they end, never on every rebuild:
 * a namespace the gateway refuses (401/403) is skipped and its schedules removed (the connector may
 * no longer see what runs there); a failed listing (network, 5xx, timeout) keeps the schedules it
 * had, so a gateway restart changes nothing; a bad schedule skips that function with a line naming
 * it and its expression.
 */
import { HttpStatusError, OpenFaaSError, type Client, type FunctionStatus } from "@node-ts-iam/sdk";
import { systemClock, type Cancel, type Clock } from "./clock.js";
import type { ConnectorConfig } from "./config.js";
import { CronTable, functionKey, type CronFunction } from "./cron-table.js";
import { CRON_TOPIC, Invoker } from "./invoker.js";
import { scrubSecrets, stderrLog, type LogSink } from "./log.js";
import { parseSchedule, type Schedule } from "./schedule.js";

/** What the connector needs of the SDK client. */
export type ConnectorGateway = Pick<Client, "getNamespaces" | "getFunctions" | "invokeFunction">;

/** Options of {@link CronConnector}. */
export interface CronConnectorOptions {
  gateway: ConnectorGateway;
  config: ConnectorConfig;
  /** The clock schedules run on (default: the system clock, scaled by `config.timeScale`). */
  clock?: Clock;
  /** The clock the rebuild loop runs on (default: the unscaled system clock). */
  rebuildClock?: Clock;
  /** The zone of schedules without `CRON_TZ=` (default: the process's local zone). */
  timezone?: string;
  /** Log lines (default: stderr with a timestamp); every line is scrubbed of credentials first. */
  log?: LogSink;
}

/** What one rebuild found. */
export interface RebuildReport {
  /** Namespaces whose functions were listed. */
  listed: string[];
  /** Namespaces the gateway refused (401/403) or did not find (404): their schedules were removed. */
  denied: string[];
  /** Namespaces (or `*` for the namespace list) whose listing failed otherwise; their schedules were kept. */
  failed: string[];
}

const JWT_AUTH_ON = /^(1|t|true)$/i;

/** The cron-connector. */
export class CronConnector {
  readonly #options: CronConnectorOptions;
  readonly #log: (line: string) => void;
  readonly #rebuildClock: Clock;
  readonly #invoker: Invoker;
  readonly #table: CronTable;
  /** Problems currently reported, by subject: logged when they start or change, and when they end. */
  readonly #problems = new Map<string, string>();
  /** Schedule problems reported during the rebuild in progress. */
  #reported = new Set<string>();
  #loop: Cancel | undefined;
  #rebuilding: Promise<RebuildReport> | undefined;
  #stopped = false;

  constructor(options: CronConnectorOptions) {
    this.#options = options;
    const sink = options.log ?? stderrLog;
    this.#log = (line) => sink(scrubSecrets(line));
    this.#rebuildClock = options.rebuildClock ?? systemClock();
    const { config } = options;
    this.#invoker = new Invoker({
      gateway: options.gateway,
      async: config.async,
      contentType: config.contentType,
      timeoutMs: config.upstreamTimeoutMs,
      functionAuth: config.functionAuth,
      log: this.#log,
    });
    this.#table = new CronTable({
      clock: options.clock ?? systemClock(config.timeScale),
      run: (fn) => void this.#invoker.start(fn),
      log: this.#log,
    });
  }

  /** The functions scheduled right now. */
  get scheduled(): CronFunction[] {
    return this.#table.functions;
  }

  /** The running schedule (tests read next activations from it). */
  get table(): CronTable {
    return this.#table;
  }

  /** Logs the settings, rebuilds once, then every `rebuild_interval`. Resolves after the first rebuild. */
  async start(): Promise<RebuildReport> {
    const { config } = this.#options;
    this.#log(`Gateway URL: ${config.gatewayURL}`);
    this.#log(`Async Invocation: ${config.async}`);
    this.#log(`Rebuild interval: ${config.rebuildIntervalMs} ms\tRebuild timeout: ${config.rebuildTimeoutMs} ms`);
    this.#log(`Namespaces: ${config.namespaces?.join(", ") ?? "every namespace the gateway lists"}\tFunction auth: ${config.functionAuth}`);
    if (config.timeScale !== 1) this.#log(`Schedule clock: ${config.timeScale}x real time (sandbox time scale)`);
    const report = await this.rebuild();
    this.#next();
    return report;
  }

  /** Stops rebuilding and scheduling, then waits for invocations in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#loop?.();
    await this.#rebuilding?.catch(() => undefined);
    this.#table.clear();
    await this.#invoker.drain();
  }

  #next(): void {
    if (this.#stopped) return;
    this.#loop = this.#rebuildClock.at(this.#rebuildClock.now() + this.#options.config.rebuildIntervalMs, () => {
      void this.rebuild().finally(() => this.#next());
    });
  }

  /** Lists namespaces and functions once and updates the schedule; never rejects. Concurrent calls share one rebuild. */
  rebuild(): Promise<RebuildReport> {
    this.#rebuilding ??= this.#rebuildOnce().finally(() => (this.#rebuilding = undefined));
    return this.#rebuilding;
  }

  async #rebuildOnce(): Promise<RebuildReport> {
    const report: RebuildReport = { listed: [], denied: [], failed: [] };
    const namespaces = await this.#namespaces(report);
    if (namespaces === undefined || this.#stopped) return report;
    const seen = new Set(namespaces);
    // Namespaces that are gone (or no longer visible) take their schedules with them.
    for (const fn of this.#table.functions) if (!seen.has(fn.namespace)) this.#remove(fn);
    // Problems of namespaces no longer listed are forgotten: should they come back, they are news again.
    for (const subject of [...this.#problems.keys()]) {
      const namespace = subject.startsWith("namespace ") ? subject.slice("namespace ".length) : subject.startsWith("schedule ") ? subject.slice(subject.lastIndexOf(".") + 1) : undefined;
      if (namespace !== undefined && !seen.has(namespace)) this.#problems.delete(subject);
    }
    for (const namespace of namespaces) {
      if (this.#stopped) break;
      this.#reported = new Set();
      const wanted = await this.#functionsIn(namespace, report);
      if (wanted === undefined) continue;
      this.#sync(namespace, wanted);
      this.#forgetScheduleProblems(namespace, this.#reported);
    }
    return report;
  }

  async #namespaces(report: RebuildReport): Promise<string[] | undefined> {
    const configured = this.#options.config.namespaces;
    if (configured) return configured;
    try {
      const namespaces = await this.#options.gateway.getNamespaces({ timeoutMs: this.#options.config.rebuildTimeoutMs });
      this.#problem("namespaces", undefined, "Namespaces: listing works again");
      return namespaces;
    } catch (error) {
      if (isDenied(error)) {
        // Authoritative: this identity may see no namespace, so nothing stays scheduled.
        report.denied.push("*");
        this.#problem("namespaces", `Namespaces: the gateway refused to list them (${reason(error)}); nothing is scheduled until the connector's Policy grants Namespace:List`);
        return [];
      }
      report.failed.push("*");
      this.#problem("namespaces", `Namespaces: listing failed (${reason(error)}); keeping the ${this.#table.functions.length} scheduled function(s) and retrying every rebuild`);
      return undefined;
    }
  }

  async #functionsIn(namespace: string, report: RebuildReport): Promise<CronFunction[] | undefined> {
    const subject = `namespace ${namespace}`;
    let statuses: FunctionStatus[];
    try {
      statuses = await this.#options.gateway.getFunctions(namespace, { timeoutMs: this.#options.config.rebuildTimeoutMs });
    } catch (error) {
      if (isDenied(error) || (error instanceof HttpStatusError && error.status === 404)) {
        report.denied.push(namespace);
        const what = isDenied(error) ? `the gateway refused to list its functions (${reason(error)}); skipped until the connector's Policy grants Function:List on ${namespace}:*` : "not found; skipped";
        this.#problem(subject, `Namespace ${namespace}: ${what}`);
        this.#forgetScheduleProblems(namespace, new Set());
        return [];
      }
      report.failed.push(namespace);
      this.#problem(subject, `Namespace ${namespace}: listing functions failed (${reason(error)}); keeping its schedules and retrying every rebuild`);
      return undefined;
    }
    this.#problem(subject, undefined, `Namespace ${namespace}: listing functions works again`);
    report.listed.push(namespace);
    const wanted: CronFunction[] = [];
    for (const status of statuses) {
      const fn = this.#cronFunction(status, namespace);
      if (fn) wanted.push(fn);
    }
    return wanted;
  }

  /** Forgets the schedule problems of a namespace that this rebuild did not report again (fixed or gone). */
  #forgetScheduleProblems(namespace: string, reported: ReadonlySet<string>): void {
    for (const subject of [...this.#problems.keys()]) {
      if (subject.startsWith("schedule ") && subject.endsWith(`.${namespace}`) && !reported.has(subject)) this.#problems.delete(subject);
    }
  }

  /** The status as a scheduled function, or `undefined` (not a cron function, or a bad schedule: logged once). */
  #cronFunction(status: FunctionStatus, namespace: string): CronFunction | undefined {
    const annotations = status.annotations ?? {};
    const topics = (annotations["topic"] ?? "").split(",").map((t) => t.trim());
    if (!topics.includes(CRON_TOPIC)) return undefined;
    const key = `${status.name}.${namespace}`;
    const spec = annotations["schedule"];
    const subject = `schedule ${key}`;
    if (spec === undefined || spec.trim() === "") {
      this.#problem(subject, `Skipped: ${key} has topic ${CRON_TOPIC} but no schedule annotation`);
      return undefined;
    }
    let schedule: Schedule;
    try {
      schedule = parseSchedule(spec, this.#options.timezone !== undefined ? { timezone: this.#options.timezone } : {});
    } catch (error) {
      this.#problem(subject, `Skipped: ${key}: bad ${(error as Error).message}`);
      return undefined;
    }
    return { name: status.name, namespace, schedule, jwtAuth: JWT_AUTH_ON.test(status.envVars?.["jwt_auth"]?.trim() ?? "") };
  }

  /** Brings the namespace's schedules in line with `wanted`. A changed schedule is a removal and an addition, as in the Go connector. */
  #sync(namespace: string, wanted: CronFunction[]): void {
    const byKey = new Map(wanted.map((fn) => [functionKey(fn), fn]));
    for (const fn of this.#table.functions) {
      if (fn.namespace !== namespace) continue;
      const next = byKey.get(functionKey(fn));
      if (!next || next.schedule.spec !== fn.schedule.spec) this.#remove(fn);
      else if (next.jwtAuth !== fn.jwtAuth) {
        this.#table.update(next);
        this.#log(`Updated: ${functionKey(fn)} [${fn.schedule.spec}] function token ${next.jwtAuth ? "on" : "off"} (jwt_auth)`);
      }
    }
    for (const [key, fn] of byKey) {
      if (this.#table.get(key)) continue;
      if (this.#table.add(fn)) this.#log(`Added: ${key} [${fn.schedule.spec}]${fn.jwtAuth ? " with a function token (jwt_auth)" : ""}`);
      else this.#problem(`schedule ${key}`, `Skipped: ${key}: schedule ${JSON.stringify(fn.schedule.spec)} has no activation left`);
    }
  }

  #remove(fn: CronFunction): void {
    const key = functionKey(fn);
    if (!this.#table.remove(key)) return;
    this.#invoker.forget(key);
    this.#log(`Removed: ${key} [${fn.schedule.spec}]`);
  }

  /** Logs a problem when it starts or changes, and `recovered` (if given) when it ends. */
  #problem(subject: string, message: string | undefined, recovered?: string): void {
    if (message !== undefined) this.#reported.add(subject);
    const known = this.#problems.get(subject);
    if (message === undefined) {
      if (known === undefined) return;
      this.#problems.delete(subject);
      if (recovered) this.#log(recovered);
      return;
    }
    if (known === message) return;
    this.#problems.set(subject, message);
    this.#log(message);
  }
}

function isDenied(error: unknown): boolean {
  return error instanceof HttpStatusError && (error.status === 401 || error.status === 403);
}

/** A short, token-free reason: the status and the gateway's own (redacted) message, or the SDK error code. */
function reason(error: unknown): string {
  if (error instanceof HttpStatusError) return `${error.status}${error.gatewayMessage ? `: ${error.gatewayMessage.trim().slice(0, 300)}` : ""}`;
  if (error instanceof OpenFaaSError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.name : "unknown error";
}

