/** The HTTP server the watchdog proxies to: readiness, then the handler for every other request. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Dispatch } from "./call-handler.js";
import { loadHandler } from "./load-handler.js";
import { sendError, sendJson } from "./respond.js";
import type { ServerSettings } from "./settings.js";

/** A started template server. */
export interface TemplateServer {
  readonly server: Server;
  /** The port actually bound (useful with `http_port=0`); 0 on a Unix socket (`http_socket`). */
  readonly port: number;
  /** Settles when the handler is loaded (rejects if it cannot be). */
  readonly loaded: Promise<void>;
  /** Marks the server as draining: readiness answers 503, new answers close their connection, requests are timed. */
  startDraining(): void;
  /** `Date.now()` of the last request since draining began (or of the start of draining; 0 before). */
  lastRequestAt(): number;
}

/** Whether the request target is the readiness path (with or without a query string). */
function isReadiness(url: string, readyPath: string): boolean {
  return url === readyPath || (url.startsWith(readyPath) && url.charCodeAt(readyPath.length) === 0x3f /* "?" */);
}

/**
 * Listens at once and loads the handler alongside (start-up is I/O bound); requests that arrive
 * before the handler is loaded wait for it, while readiness answers 503 until then.
 */
export async function startServer(settings: ServerSettings): Promise<TemplateServer> {
  let dispatch: Dispatch | undefined;
  let draining = false;
  let lastRequestAt = 0;
  const loaded = loadHandler(settings.handlerPath, settings).then((loadedDispatch) => {
    dispatch = loadedDispatch;
  });
  // Callers attach their own handling; this keeps an early failure from being "unhandled" meanwhile.
  loaded.catch(() => undefined);

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (draining) {
      res.setHeader("connection", "close");
      lastRequestAt = Date.now();
    }
    if (isReadiness(req.url ?? "/", settings.readyPath)) {
      if (dispatch !== undefined && !draining) sendJson(res, 200, { status: "ready" });
      else sendError(res, 503, "NOT_READY", draining ? "shutting down" : "handler not loaded yet");
      return;
    }
    if (dispatch !== undefined) dispatch(req, res);
    else loaded.then(() => (dispatch as Dispatch)(req, res), () => sendError(res, 503, "NOT_READY", "handler failed to load"));
  };

  const server = createServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    const listening = () => {
      server.off("error", reject);
      resolve();
    };
    if (settings.socket !== undefined) server.listen(settings.socket, listening);
    else server.listen(settings.port, settings.host, listening);
  });
  const address = server.address();
  return {
    server,
    port: typeof address === "object" && address !== null ? address.port : 0,
    loaded,
    startDraining: () => {
      draining = true;
      lastRequestAt = Date.now();
    },
    lastRequestAt: () => lastRequestAt,
  };
}
