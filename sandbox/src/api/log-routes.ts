import { httpError } from "../http/errors.js";
import type { Router } from "../http/router.js";
import type { LogEntry } from "../logs/log-store.js";
import { isRfc1123Label } from "../names.js";
import { authenticate, requireAllowed } from "./authorization.js";
import type { GatewayContext } from "./context.js";

/** A bad log request is 422, as faas-provider's `logs/handler.go` answers it. */
function unprocessable(message: string, field: string) {
  return httpError(422, message, { field });
}

/** `GET /system/logs?name&namespace&instance&tail&follow&since`: NDJSON `LogEntry` lines, streamed with `follow`. */
export function registerLogRoutes(router: Router, ctx: GatewayContext): void {
  router.on("GET", "/system/logs", async (req, res, _p, url) => {
    const caller = await authenticate(req, ctx);
    const q = url.searchParams;
    const name = q.get("name");
    if (!name) throw unprocessable("query parameter name is required", "name");
    if (!isRfc1123Label(name)) throw unprocessable("name must be an RFC 1123 label", "name");
    const namespaceParam = q.get("namespace") || "openfaas-fn";
    if (!isRfc1123Label(namespaceParam)) throw unprocessable("namespace must be an RFC 1123 label", "namespace");
    const namespace = namespaceParam;
    const tailText = q.get("tail");
    const tail = tailText === null || tailText === "" ? 0 : Number(tailText);
    if (!Number.isInteger(tail)) throw unprocessable("tail must be an integer", "tail");
    const followText = q.get("follow");
    if (followText !== null && !["true", "false", "1", "0", ""].includes(followText)) throw unprocessable("follow must be true or false", "follow");
    const follow = followText === "true" || followText === "1";
    const sinceText = q.get("since");
    const since = sinceText ? Date.parse(sinceText) : undefined;
    if (sinceText && (since === undefined || Number.isNaN(since) || !/^\d{4}-\d{2}-\d{2}T/.test(sinceText))) throw unprocessable("since must be an RFC 3339 time", "since");
    const instance = q.get("instance") || undefined;
    requireAllowed(ctx, caller, "Function:Logs", `${namespace}:${name}`);
    if (!ctx.store.function(name, namespace)) throw httpError(404, `function ${name} not found in namespace ${namespace}`);

    const wanted = (e: LogEntry) => (instance === undefined || e.instance === instance) && (since === undefined || Date.parse(e.timestamp) >= since);
    let lines = ctx.logs.history(namespace, name).filter(wanted);
    // tail <= 0 means unlimited (OpenAPI spec).
    if (tail > 0) lines = lines.slice(-tail);
    res.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-store", "x-content-type-options": "nosniff" });
    for (const e of lines) res.write(`${JSON.stringify(e)}\n`);
    if (!follow) {
      res.end();
      return;
    }
    res.flushHeaders();
    await new Promise<void>((resolve) => {
      const unfollow = ctx.logs.follow(namespace, name, (e) => {
        if (wanted(e)) res.write(`${JSON.stringify(e)}\n`);
      });
      const done = () => {
        unfollow();
        resolve();
      };
      req.once("close", done);
      res.once("close", done);
      // A client gone while the request was authorised has already closed: do not follow for nobody.
      if (res.destroyed) done();
    });
    if (!res.writableEnded) res.end();
  });
}
