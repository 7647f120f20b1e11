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

/**
 * Installs the SIGTERM/SIGINT behaviour for the process: `onDrainStart` runs first (readiness turns
 * false, new answers close their connection), then the drain, then exit 0.
 */
export function exitOnSignals(server: Server, timeoutMs: number, onDrainStart: () => void, log: (line: string) => void): void {
  let started = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (started) return;
    started = true;
    onDrainStart();
    log(`${signal}: draining (up to ${timeoutMs} ms)`);
    void drain(server, timeoutMs).then((outcome) => {
      log(outcome === "drained" ? "drained, exiting" : "drain deadline reached, exiting");
      process.exit(0);
    });
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
