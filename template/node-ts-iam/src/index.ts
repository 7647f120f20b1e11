/**
 * Entry point (`fprocess`: `node dist/index.js`): reads the environment, serves the handler on
 * `http_port`, drains on SIGTERM and exits 0. A handler that cannot be loaded ends the process with
 * status 1, so the watchdog (and Kubernetes) see the failure instead of a function that never answers.
 */
import { loadConfig } from "./config.js";
import { exitOnSignals } from "./lifecycle.js";
import { startServer } from "./server.js";

const log = (line: string): void => void process.stderr.write(`node-ts-iam: ${line}\n`);

try {
  const config = loadConfig();
  const running = await startServer(config);
  exitOnSignals(
    running.server,
    { graceMs: config.shutdownGraceMs, drainTimeoutMs: config.drainTimeoutMs },
    running.startDraining,
    log,
  );
  // One line once the handler is loaded: the first request is usually already waiting.
  running.loaded.then(
    () => log(`listening on ${config.host}:${running.port}, handler ${config.handlerPath}`),
    (error: unknown) => {
      log(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
} catch (error) {
  log(`cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
