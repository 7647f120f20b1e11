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
import { parseSchedule, type Schedule, type ScheduleOptions } from "./schedule.js";

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
/** The subject of the namespace list's problems (never a namespace name, which is an RFC 1123 label). */
const NAMESPACE_LIST = "*";

/** The cron-connector. */
export class CronConnector {
  readonly #options: CronConnectorOptions;
  readonly #log: (line: string) => void;
  readonly #rebuildClock: Clock;
  readonly #invoker: Invoker;
  readonly #table: CronTable;
  readonly #scheduleOptions: ScheduleOptions;
  /**
   * Listing problems currently reported, by subject ({@link NAMESPACE_LIST}, else the namespace):
   * logged when they start or change, and when they end.
   */
  readonly #listingProblems = new Map<string, string>();
  /**
   * Schedule problems currently reported, by namespace, then by function: logged when they start or
   * change. Each listing of a namespace replaces its entry, so a problem that a listing no longer
   * finds (fixed, or the function gone) is forgotten, and news again should it come back.
   */
  readonly #scheduleProblems = new Map<string, ReadonlyMap<string, string>>();
  #loop: Cancel | undefined;
  #rebuilding: Promise<RebuildReport> | undefined;
  #stopped = false;

  constructor(options: CronConnectorOptions) {
    this.#options = options;
    const sink = options.log ?? stderrLog;
    this.#log = (line) => sink(scrubSecrets(line));
    this.#rebuildClock = options.rebuildClock ?? systemClock();
    this.#scheduleOptions = options.timezone !== undefined ? { timezone: options.timezone } : {};
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
    for (const subject of [...this.#listingProblems.keys()]) if (subject !== NAMESPACE_LIST && !seen.has(subject)) this.#listingProblems.delete(subject);
    for (const namespace of [...this.#scheduleProblems.keys()]) if (!seen.has(namespace)) this.#scheduleProblems.delete(namespace);
    for (const namespace of namespaces) {
      if (this.#stopped) break;
      const found = new Map<string, string>();
      const wanted = await this.#functionsIn(namespace, report, found);
      // A failed listing keeps the namespace's schedules, and so its schedule problems.
      if (wanted === undefined) continue;
      this.#sync(namespace, wanted, found);
      this.#scheduleProblems.set(namespace, found);
    }
    return report;
  }

  async #namespaces(report: RebuildReport): Promise<string[] | undefined> {
    const configured = this.#options.config.namespaces;
    if (configured) return configured;
    try {
      const namespaces = await this.#options.gateway.getNamespaces({ timeoutMs: this.#options.config.rebuildTimeoutMs });
      this.#listingProblem(NAMESPACE_LIST, undefined, "Namespaces: listing works again");
      return namespaces;
    } catch (error) {
      if (isDenied(error)) {
        // Authoritative: this identity may see no namespace, so nothing stays scheduled.
        report.denied.push("*");
        this.#listingProblem(NAMESPACE_LIST, `Namespaces: the gateway refused to list them (${reason(error)}); nothing is scheduled until the connector's Policy grants Namespace:List`);
        return [];
      }
      report.failed.push("*");
      this.#listingProblem(NAMESPACE_LIST, `Namespaces: listing failed (${reason(error)}); keeping the ${this.#table.functions.length} scheduled function(s) and retrying every rebuild`);
      return undefined;
    }
  }

  /** The namespace's cron functions; `undefined` when its listing failed (not refused). Schedule problems go into `found`. */
  async #functionsIn(namespace: string, report: RebuildReport, found: Map<string, string>): Promise<CronFunction[] | undefined> {
    let statuses: FunctionStatus[];
    try {
      statuses = await this.#options.gateway.getFunctions(namespace, { timeoutMs: this.#options.config.rebuildTimeoutMs });
    } catch (error) {
      if (isDenied(error) || (error instanceof HttpStatusError && error.status === 404)) {
        report.denied.push(namespace);
        const what = isDenied(error) ? `the gateway refused to list its functions (${reason(error)}); skipped until the connector's Policy grants Function:List on ${namespace}:*` : "not found; skipped";
        this.#listingProblem(namespace, `Namespace ${namespace}: ${what}`);
        return [];
      }
      report.failed.push(namespace);
      this.#listingProblem(namespace, `Namespace ${namespace}: listing functions failed (${reason(error)}); keeping its schedules and retrying every rebuild`);
      return undefined;
    }
    this.#listingProblem(namespace, undefined, `Namespace ${namespace}: listing functions works again`);
    report.listed.push(namespace);
    const wanted: CronFunction[] = [];
    for (const status of statuses) {
      const fn = this.#cronFunction(status, namespace, found);
      if (fn) wanted.push(fn);
    }
    return wanted;
  }

  /** The status as a scheduled function, or `undefined` (not a cron function, or a bad schedule: into `found`). */
  #cronFunction(status: FunctionStatus, namespace: string, found: Map<string, string>): CronFunction | undefined {
    const annotations = status.annotations ?? {};
    const topics = (annotations["topic"] ?? "").split(",").map((t) => t.trim());
    if (!topics.includes(CRON_TOPIC)) return undefined;
    const key = `${status.name}.${namespace}`;
    const spec = annotations["schedule"];
    if (spec === undefined || spec.trim() === "") {
      this.#scheduleProblem(namespace, key, found, `Skipped: ${key} has topic ${CRON_TOPIC} but no schedule annotation`);
      return undefined;
    }
    const schedule = this.#schedule(key, spec, namespace, found);
    if (!schedule) return undefined;
    return { name: status.name, namespace, schedule, jwtAuth: JWT_AUTH_ON.test(status.envVars?.["jwt_auth"]?.trim() ?? "") };
  }

  /**
   * The function's schedule: the one it runs on when the expression is unchanged (so an expression
   * is parsed when it appears or changes, not on every rebuild), else `spec` parsed; `undefined` for
   * a bad expression (into `found`).
   */
  #schedule(key: string, spec: string, namespace: string, found: Map<string, string>): Schedule | undefined {
    const running = this.#table.get(key)?.schedule;
    if (running?.spec === spec) return running;
    try {
      return parseSchedule(spec, this.#scheduleOptions);
    } catch (error) {
      this.#scheduleProblem(namespace, key, found, `Skipped: ${key}: bad ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Brings the namespace's schedules in line with `wanted`. A changed schedule is a removal and an addition, as in the Go connector. */
  #sync(namespace: string, wanted: CronFunction[], found: Map<string, string>): void {
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
      else this.#scheduleProblem(namespace, key, found, `Skipped: ${key}: schedule ${JSON.stringify(fn.schedule.spec)} has no activation left`);
    }
  }

  #remove(fn: CronFunction): void {
    const key = functionKey(fn);
    if (!this.#table.remove(key)) return;
    this.#invoker.forget(key);
    this.#log(`Removed: ${key} [${fn.schedule.spec}]`);
  }

  /** Logs a listing problem when it starts or changes (`message`), and `recovered` (if given) when it ends (no `message`). */
  #listingProblem(subject: string, message: string | undefined, recovered?: string): void {
    const known = this.#listingProblems.get(subject);
    if (message === undefined) {
      if (known === undefined) return;
      this.#listingProblems.delete(subject);
      if (recovered) this.#log(recovered);
      return;
    }
    if (known === message) return;
    this.#listingProblems.set(subject, message);
    this.#log(message);
  }

  /** Records a schedule problem of this listing of `namespace` in `found`; logs it unless it is already reported. */
  #scheduleProblem(namespace: string, key: string, found: Map<string, string>, message: string): void {
    const known = found.has(key) ? found.get(key) : this.#scheduleProblems.get(namespace)?.get(key);
    found.set(key, message);
    if (known !== message) this.#log(message);
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

