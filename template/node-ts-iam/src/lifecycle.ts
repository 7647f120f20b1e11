/** Graceful shutdown: stop accepting, let in-flight requests finish (bounded), then report. */
import type { Server } from "node:http";

/** How a drain ended: every connection closed, or the deadline cut the rest. */
export type DrainOutcome = "drained" | "timed-out";

/**
 * Stops accepting connections and waits for in-flight requests. Idle keep-alive connections are
 * closed at once and again every 100 ms (a connection turns idle when its in-flight request is
 * answered); at `timeoutMs` the remaining connections are cut.
 */
export function drain(server: Server, timeoutMs: number): Promise<DrainOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: DrainOutcome): void => {
      if (settled) return;
      settled = true;
      clearInterval(sweeper);
      clearTimeout(deadline);
      resolve(outcome);
    };
    const sweeper = setInterval(() => server.closeIdleConnections(), 100);
    const deadline = setTimeout(() => {
      server.closeAllConnections();
      finish("timed-out");
    }, timeoutMs);
    server.close(() => finish("drained"));
    server.closeIdleConnections();
  });
}

/** Shutdown timing: the grace before the listener closes, then the drain deadline. */
export interface ShutdownTiming {
  readonly graceMs: number;
  readonly drainTimeoutMs: number;
}

/**
 * Installs the SIGTERM/SIGINT behaviour for the process: `onDrainStart` runs first (readiness turns
 * false, new answers close their connection); requests are still served for `graceMs` while the
 * watchdog stops routing to us (a second signal ends the grace early); then the drain, then exit 0.
 */
export function exitOnSignals(server: Server, timing: ShutdownTiming, onDrainStart: () => void, log: (line: string) => void): void {
  let signals = 0;
  let endGrace = (): void => {};
  const startDrain = (prefix: string): void => {
    log(`${prefix}draining (up to ${timing.drainTimeoutMs} ms)`);
    void drain(server, timing.drainTimeoutMs).then((outcome) => {
      log(outcome === "drained" ? "drained, exiting" : "drain deadline reached, exiting");
      process.exit(0);
    });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) return endGrace();
    onDrainStart();
    if (timing.graceMs <= 0) return startDrain(`${signal}: `);
    log(`${signal}: still serving for ${timing.graceMs} ms while the watchdog stops routing here`);
    const timer = setTimeout(() => endGrace(), timing.graceMs);
    endGrace = () => {
      clearTimeout(timer);
      endGrace = () => {};
      startDrain("");
    };
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
