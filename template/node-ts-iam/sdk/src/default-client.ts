/** The process-wide default client for handlers: created on first use, never before. */
import { Client } from "./client.js";

let instance: Client | undefined;

/**
 * The process-wide client configured from the environment (see {@link Client.fromEnv}). Created on
 * the first call; a handler that never calls it pays nothing, and undici loads only on the first
 * request.
 */
export function gatewayClient(): Client {
  instance ??= Client.fromEnv();
  return instance;
}
