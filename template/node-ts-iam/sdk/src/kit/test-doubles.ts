/**
 * Helpers for test doubles of the {@link Client}: a handler's unit tests inject a fake gateway
 * (an object with the Client methods the handler uses) that fails exactly as the real client does.
 */
import { statusError, type HttpStatusError, type RequestSite } from "../errors.js";
import type { Client } from "../client.js";

/**
 * The error the {@link Client} throws when the gateway answers `status`: a `ForbiddenError` for 403,
 * `NotFoundError` for 404, `ConflictError` for 409, `UnauthorizedError` for 401, otherwise an
 * `UnexpectedStatusError`, each with the given `gatewayMessage` (the gateway's response text).
 * @param site - the request it pretends to have failed (default `GET /`).
 * @example
 * ```ts
 * const fake: Pick<Client, "getFunctions"> = {
 *   getFunctions: async () => { throw gatewayStatusError(403, "forbidden: list on prod:*"); },
 * };
 * ```
 */
export function gatewayStatusError(status: number, gatewayMessage: string, site: RequestSite = { method: "GET", path: "/" }): HttpStatusError {
  return statusError(site, status, gatewayMessage);
}
