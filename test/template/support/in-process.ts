/** The template server started inside the test process (fast; for rules that need no process lifecycle). */
import { join } from "node:path";
import { startServer, type TemplateServer } from "../../../template/node-ts-iam/src/server.js";
import { readSettings } from "../../../template/node-ts-iam/src/settings.js";
import { TEMPLATE_DIR } from "./faas-build.js";

export const HANDLERS = join(import.meta.dirname, "../fixtures/handlers");

/** A running in-process server and how to stop it. */
export interface InProcess {
  readonly port: number;
  readonly running: TemplateServer;
  close(): Promise<void>;
}

/** Serves `handlerFile` (a fixture name or absolute path) with extra environment settings, on a random port. */
export async function serve(handlerFile: string, env: Record<string, string> = {}): Promise<InProcess> {
  const settings = readSettings(
    { http_port: "0", HANDLER_PATH: handlerFile.startsWith("/") ? handlerFile : join(HANDLERS, handlerFile), ...env },
    join(TEMPLATE_DIR, "dist"),
  );
  const running = await startServer(settings);
  await running.loaded;
  return {
    port: running.port,
    running,
    close: () =>
      new Promise<void>((resolve) => {
        running.server.closeAllConnections();
        running.server.close(() => resolve());
      }),
  };
}
