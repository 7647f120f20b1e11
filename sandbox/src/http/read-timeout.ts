import type { ServerOptions } from "node:http";

/**
 * How long a client may take to send one whole request (headers and body) to the gateway or to a
 * watchdog stand-in, by default. OpenFaaS's gateway reads `read_timeout` (8 s when unset,
 * openfaas/faas `gateway/types/readconfig.go`; the Helm chart sets 65 s) and of-watchdog its own
 * `read_timeout` (30 s when unset); the sandbox uses one 60 s bound for both.
 */
export const DEFAULT_READ_TIMEOUT_MS = 60_000;

/**
 * The `http.createServer` options that cut a request not received whole within `readTimeoutMs`:
 * Node answers it 408 (or the server's `clientError` listener does) and closes the connection, so
 * a client trickling a body cannot hold a socket open for ever. Node checks its connections on an
 * interval (30 s by default), which is shortened here so the cut comes close to the deadline.
 */
export function readTimeoutOptions(readTimeoutMs: number): ServerOptions {
  return {
    requestTimeout: readTimeoutMs,
    // Node requires headersTimeout ≤ requestTimeout; 30 s is plenty for the headers alone.
    headersTimeout: Math.min(30_000, readTimeoutMs),
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(readTimeoutMs / 4))),
  };
}
