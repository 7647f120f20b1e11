/**
 * Shutdown behind of-watchdog. On SIGTERM the watchdog forwards the signal to us at once, removes its
 * lock file, keeps accepting and forwarding requests for `healthcheck_interval`, then stops accepting
 * and waits (up to `write_timeout`) for the requests it already forwarded, and exits (`listenUntilShutdown`
 * in of-watchdog's main.go). If we exited first with status 0 it would not notice and would answer every
 * request it still forwards with a 500. So the server outlives that window: it serves as usual for
 * `healthcheck_interval`, keeps its listener open until no request has arrived for a quiet period,
 * finishes what is in flight (up to `write_timeout`), and exits 0; it exits at once when the watchdog
 * (its parent process) is gone. Without a watchdog (the sandbox, a plain process) grace and quiet period
 * are 0 unless set: it stops accepting at once and finishes what is in flight.
 */
import type { Server } from "node:http";

/** Shutdown timing, in milliseconds. */
export interface ShutdownTiming {
  /** Serve as usual this long after the signal (`healthcheck_interval`). */
  readonly graceMs: number;
  /** Then stop accepting once no request has arrived for this long. */
  readonly quietMs: number;
  /** Cut the connections still open this long after the grace (`write_timeout`). */
  readonly drainTimeoutMs: number;
}

/** What shutdown needs of the running server. */
export interface Drainable {
  readonly server: Server;
  /** Readiness turns 503, answers close their connection, requests are timed. */
  startDraining(): void;
  /** `Date.now()` of the last request since draining began (or of the start of draining). */
  lastRequestAt(): number;
}

/** How often the parent process is checked: rarely while serving, often while shutting down. */
const PARENT_CHECK_MS = 1000;
const PARENT_CHECK_DRAINING_MS = 50;
/** How often idle connections are closed and the quiet period checked while draining. */
const SWEEP_MS = 100;

/**
 * Installs the SIGTERM/SIGINT behaviour for the process (see the module comment). A second signal
 * ends the grace early. The process exits 0 however the shutdown ends.
 */
export function exitOnSignals(running: Drainable, timing: ShutdownTiming, log: (line: string) => void, exit: (code: number) => void = process.exit): void {
  const { server } = running;
  const parent = process.ppid;
  let finished = false;
  let draining = false;
  let graceTimer: NodeJS.Timeout | undefined;

  const finish = (line: string): void => {
    if (finished) return;
    finished = true;
    log(line);
    exit(0);
  };
  const checkParent = (): void => {
    if (process.ppid === parent) return;
    server.closeAllConnections();
    finish("the parent process (the watchdog) exited: exiting");
  };
  // Unref'd: watching the parent never keeps the process alive by itself.
  let parentWatch = setInterval(checkParent, PARENT_CHECK_MS).unref();

  const drain = (): void => {
    if (draining) return;
    draining = true;
    clearTimeout(graceTimer);
    const started = Date.now();
    const closes = timing.quietMs > 0 ? `once no request has arrived for ${timing.quietMs} ms` : "now";
    log(`draining: the listener closes ${closes}; in-flight requests get up to ${timing.drainTimeoutMs} ms`);
    let closing = false;
    const closeWhenQuiet = (): void => {
      server.closeIdleConnections();
      if (closing || Date.now() - Math.max(started, running.lastRequestAt()) < timing.quietMs) return;
      closing = true;
      server.close(() => finish("drained, exiting"));
      server.closeIdleConnections();
    };
    const sweep = setInterval(closeWhenQuiet, SWEEP_MS);
    closeWhenQuiet();
    setTimeout(() => {
      clearInterval(sweep);
      server.closeAllConnections();
      finish("drain deadline (write_timeout) reached, exiting");
    }, timing.drainTimeoutMs);
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (graceTimer !== undefined || draining) return drain();
    running.startDraining();
    clearInterval(parentWatch);
    parentWatch = setInterval(checkParent, PARENT_CHECK_DRAINING_MS);
    if (timing.graceMs > 0) {
      log(`${signal}: not ready any more; serving as usual for ${timing.graceMs} ms (healthcheck_interval) while the watchdog still forwards requests`);
    } else {
      log(`${signal}: not ready any more`);
    }
    graceTimer = setTimeout(drain, timing.graceMs);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
