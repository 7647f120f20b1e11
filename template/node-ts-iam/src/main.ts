/**
 * Entry point (`fprocess`: `node dist/main.bundle.js` in the image, `node dist/main.js` unbundled): reads the environment, serves the handler on
 * `http_port`, shuts down on SIGTERM as the watchdog expects (see lifecycle.ts) and exits 0. A handler
 * that cannot be loaded ends the process with status 1, so the watchdog (and Kubernetes) see the failure
 * instead of a function that never answers.
 *
 * The server is CommonJS on purpose: an ES module entry would start Node's ES module loader, and
 * `import "node:http"` its facade, which evaluates all of node:http's lazy exports; together they cost
 * about as much as the rest of the start-up (measured in `npm run bench -- template`).
 */
import { writeSync } from "node:fs";
import { exitOnSignals } from "./lifecycle.js";
import { startServer } from "./server.js";
import { readSettings, type ServerSettings } from "./settings.js";

/**
 * The server's own lines, written to fd 2 directly: `process.stderr` would first build a stream over the
 * watchdog's pipe, on the way to the first answer (a handler that logs builds it when it does).
 */
const log = (line: string): void => {
  const text = `node-ts-iam: ${line}\n`;
  try {
    writeSync(2, text);
  } catch {
    process.stderr.write(text); // a pipe someone made non-blocking, and full
  }
};

/**
 * Behind the watchdog, after SIGTERM and the grace, the listener closes once no request has arrived for
 * this long: the watchdog may still forward a request it accepted just before its own grace ended.
 */
const QUIET_MS = 1000;

function fail(prefix: string, error: unknown): void {
  log(`${prefix}${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

function serve(settings: ServerSettings): void {
  startServer(settings).then((running) => {
    const quietMs = settings.behindWatchdog ? QUIET_MS : 0;
    exitOnSignals(running, { graceMs: settings.shutdownGraceMs, quietMs, drainTimeoutMs: settings.drainTimeoutMs }, log);
    // One line once the handler is loaded: the first request is usually already waiting.
    running.loaded.then(
      () => log(`listening on ${settings.socket ?? `${settings.host}:${running.port}`}, handler ${settings.handlerPath}`),
      (error: unknown) => fail("", error),
    );
  }, (error: unknown) => fail("cannot start: ", error));
}

let settings: ServerSettings | undefined;
try {
  settings = readSettings(process.env, __dirname);
} catch (error) {
  fail("cannot start: ", error);
}
if (settings !== undefined) serve(settings);
