import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { arch } from "node:os";
import { HttpError } from "../http/errors.js";
import { DEFAULT_READ_TIMEOUT_MS, readTimeoutOptions } from "../http/read-timeout.js";
import { sendJson } from "../http/respond.js";
import { Router } from "../http/router.js";
import { handleTokenExchange, type TokenExchangeDeps } from "../iam/token-exchange.js";
import { authenticate, requireAllowed } from "./authorization.js";
import type { GatewayContext } from "./context.js";
import { registerFunctionRoutes } from "./function-routes.js";
import { registerInvokeRoutes } from "./invoke-routes.js";
import { registerLogRoutes } from "./log-routes.js";
import { registerNamespaceRoutes } from "./namespace-routes.js";
import { registerSecretRoutes } from "./secret-routes.js";

/** Version reported by `/system/info`. */
export const SANDBOX_VERSION = "0.1.0";

/** Builds the gateway's router: discovery, token exchange, the REST API (https://docs.openfaas.com/reference/rest-api/), invocation. */
export function buildRouter(ctx: GatewayContext, exchange: Omit<TokenExchangeDeps, "audit">): Router {
  const router = new Router();
  router.on("GET", "/healthz", (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("OK");
  });
  router.on("GET", "/.well-known/openid-configuration", (_req, res) => {
    const issuer = ctx.accessTokens.issuer;
    sendJson(res, 200, {
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      token_endpoint: `${issuer}/oauth/token`,
      grant_types_supported: ["urn:ietf:params:oauth:grant-type:token-exchange"],
      id_token_signing_alg_values_supported: ["ES256"],
      response_types_supported: ["id_token"],
      subject_types_supported: ["public"],
    });
  });
  router.on("GET", "/.well-known/jwks.json", (_req, res) => sendJson(res, 200, ctx.accessTokens.jwks));
  router.on("POST", "/oauth/token", async (req, res, _p, url) => {
    const body = await handleTokenExchange(req, url, {
      ...exchange,
      audit: (e) =>
        ctx.audit.record({
          subject: e.subject,
          action: e.action ?? "Token:Exchange",
          resource: e.resource ?? (e.scope === "" ? "*" : `scope:${e.scope}`),
          allowed: e.allowed,
          reason: e.reason,
          ...(e.issuer !== undefined ? { issuer: e.issuer } : {}),
          ...(e.policies !== undefined ? { policies: e.policies } : {}),
        }),
    });
    // RFC 6749 §5.1: a token response is never cached (sendJson sets Cache-Control: no-store; Pragma for HTTP/1.0 caches).
    sendJson(res, 200, body, { pragma: "no-cache" });
  });
  router.on("GET", "/system/info", async (req, res) => {
    const caller = await authenticate(req, ctx);
    requireAllowed(ctx, caller, "System:Info", "*");
    const version = { release: SANDBOX_VERSION, sha: "sandbox", commit_message: "node-ts-iam local sandbox" };
    sendJson(res, 200, {
      provider: { provider: "node-ts-iam-sandbox", orchestration: "local-processes", version },
      version,
      arch: arch() === "x64" ? "x86_64" : arch(),
    });
  });
  registerNamespaceRoutes(router, ctx);
  registerFunctionRoutes(router, ctx);
  registerSecretRoutes(router, ctx);
  registerLogRoutes(router, ctx);
  registerInvokeRoutes(router, ctx);
  return router;
}

/**
 * Wraps the router in an HTTP server that answers every failure as JSON, and cuts a request not
 * received whole within `readTimeoutMs` (408), as the gateway's `read_timeout` does.
 */
export function createGatewayServer(router: Router, log: (line: string) => void, readTimeoutMs: number = DEFAULT_READ_TIMEOUT_MS): Server {
  const server = createServer(readTimeoutOptions(readTimeoutMs), (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? "/", "http://gateway.local");
        const { handler, params } = router.resolve(req.method ?? "GET", url.pathname);
        await handler(req, res, params, url);
      } catch (err) {
        if (res.headersSent || res.destroyed) {
          res.destroy();
          return;
        }
        if (err instanceof HttpError) {
          sendJson(res, err.status, err.body, err.headers);
          return;
        }
        log(`gateway: internal error on ${req.method} ${(req.url ?? "").split("?")[0]}: ${(err as Error).message}`);
        sendJson(res, 500, { message: "internal error in the sandbox gateway (see its log)" });
      }
    })();
  });
  // Requests Node refuses before routing (oversized headers, malformed HTTP, too slow) still get a JSON body.
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    // Node's own check (socketOnError): an answer already under way must not be followed by another.
    const inFlight = (socket as { _httpMessage?: ServerResponse })._httpMessage;
    if (!socket.writable || inFlight?.headersSent) return socket.destroy();
    const [status, message] =
      err.code === "HPE_HEADER_OVERFLOW"
        ? ["431 Request Header Fields Too Large", "request headers are too large"]
        : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? ["408 Request Timeout", `the request was not received whole within the read timeout (${readTimeoutMs / 1000} s)`]
          : ["400 Bad Request", "malformed HTTP request"];
    const body = JSON.stringify({ message });
    socket.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  return server;
}
