import { randomUUID } from "node:crypto";
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { BODY_LIMITS, readBody } from "../http/body.js";
import { endToEndHeaders } from "../http/hop-by-hop.js";
import { httpError } from "../http/errors.js";
import { sendJson } from "../http/respond.js";
import type { Router } from "../http/router.js";
import { isRfc1123Label } from "../names.js";
import { DEFAULT_FUNCTION_NAMESPACE } from "../state/state-store.js";
import type { GatewayContext } from "./context.js";

/** The gateway addresses the function itself: the caller's Host is not passed on (nor one in the function's answer). */
const NOT_FORWARDED = new Set(["host"]);

/** Splits `<name>.<namespace>` (namespace defaults to `openfaas-fn`); 400 if either is not an RFC 1123 label. */
function parseTarget(target: string): { name: string; namespace: string } {
  const dot = target.indexOf(".");
  const name = dot < 0 ? target : target.slice(0, dot);
  const namespace = dot < 0 ? DEFAULT_FUNCTION_NAMESPACE : target.slice(dot + 1);
  if (!isRfc1123Label(name) || !isRfc1123Label(namespace)) throw httpError(400, "invoke as /function/<name>.<namespace>: both must be RFC 1123 labels");
  return { name, namespace };
}

/** The function's local URL, or the 404/503 a caller gets when it cannot be reached. */
function endpointFor(ctx: GatewayContext, name: string, namespace: string): string {
  const record = ctx.store.function(name, namespace);
  if (!record) throw httpError(404, `function ${name} not found in namespace ${namespace}`);
  if (!ctx.runner.isRunnable(record.deployment.image)) {
    throw httpError(503, `function ${name}.${namespace} uses image ${record.deployment.image}, which no node-ts-iam function of the stack builds; the sandbox records it but cannot run it`);
  }
  if (!ctx.runner.enabled) throw httpError(503, `function ${name}.${namespace} is recorded, but this sandbox runs no function processes (runFunctions: false)`);
  if (record.replicas === 0) throw httpError(503, `function ${name}.${namespace} is scaled to zero; scale it up with POST /system/scale-function/${name}`);
  const url = ctx.runner.endpoint(namespace, name);
  if (!url) throw httpError(503, `function ${name}.${namespace} is not ready`);
  return url;
}

function forwardHeaders(headers: IncomingHttpHeaders, callId: string, remote: string | undefined): Record<string, string | string[]> {
  const out = endToEndHeaders(headers, NOT_FORWARDED);
  out["x-call-id"] = callId;
  out["x-start-time"] = String(Date.now() * 1_000_000);
  if (remote) out["x-forwarded-for"] = remote;
  return out;
}

function countInvocation(ctx: GatewayContext, namespace: string, name: string): void {
  const key = `${namespace}/${name}`;
  ctx.invocations.set(key, (ctx.invocations.get(key) ?? 0) + 1);
}

/** Proxies one request to the function; resolves with the upstream status when the response is done. */
function proxy(base: string, path: string, method: string, headers: Record<string, string | string[]>, body: IncomingMessage | Buffer, res?: ServerResponse): Promise<{ status: number; body: Buffer; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const upstream = httpRequest(`${base}${path}`, { method, headers }, (up) => {
      if (res) {
        const out = endToEndHeaders(up.headers, NOT_FORWARDED);
        out["x-call-id"] = String(headers["x-call-id"]);
        res.writeHead(up.statusCode ?? 502, out);
        up.pipe(res);
        up.on("end", () => resolve({ status: up.statusCode ?? 502, body: Buffer.alloc(0), headers: up.headers }));
        up.on("error", reject);
        return;
      }
      const chunks: Buffer[] = [];
      up.on("data", (c: Buffer) => chunks.push(c));
      up.on("end", () => resolve({ status: up.statusCode ?? 502, body: Buffer.concat(chunks), headers: up.headers }));
      up.on("error", reject);
    });
    upstream.on("error", reject);
    // A caller that goes away takes its invocation with it: the function sees the request close.
    res?.once("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    if (Buffer.isBuffer(body)) upstream.end(body);
    else body.pipe(upstream);
  });
}

/** `/function/<name>.<ns>[/path]` (sync, any method) and `POST /async-function/<name>.<ns>[/path]` (202 + X-Call-Id). */
export function registerInvokeRoutes(router: Router, ctx: GatewayContext): void {
  const sync = async (req: IncomingMessage, res: ServerResponse, params: Record<string, string>, url: URL) => {
    const { name, namespace } = parseTarget(params["target"] ?? "");
    const base = endpointFor(ctx, name, namespace);
    const callId = typeof req.headers["x-call-id"] === "string" && req.headers["x-call-id"] !== "" ? req.headers["x-call-id"] : randomUUID();
    countInvocation(ctx, namespace, name);
    try {
      await proxy(base, `/${params["rest"] ?? ""}${url.search}`, req.method ?? "GET", forwardHeaders(req.headers, callId, req.socket.remoteAddress), req, res);
    } catch (err) {
      if (!res.headersSent) sendJson(res, 502, { message: `function ${name}.${namespace} failed to answer: ${(err as Error).message}` });
      else res.destroy();
    }
  };
  router.on("*", "/function/:target", sync);
  router.on("*", "/function/:target/*rest", sync);

  const async_ = async (req: IncomingMessage, res: ServerResponse, params: Record<string, string>, url: URL) => {
    const { name, namespace } = parseTarget(params["target"] ?? "");
    const callbackHeader = req.headers["x-callback-url"];
    const callback = typeof callbackHeader === "string" && callbackHeader !== "" ? callbackHeader : undefined;
    if (callback !== undefined) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(callback);
      } catch {
        parsed = undefined;
      }
      if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) throw httpError(400, "X-Callback-Url must be an http(s) URL");
    }
    if (!ctx.store.function(name, namespace)) throw httpError(404, `function ${name} not found in namespace ${namespace}`);
    const body = await readBody(req, BODY_LIMITS.invoke);
    const callId = typeof req.headers["x-call-id"] === "string" && req.headers["x-call-id"] !== "" ? req.headers["x-call-id"] : randomUUID();
    const headers = forwardHeaders(req.headers, callId, req.socket.remoteAddress);
    delete headers["x-callback-url"];
    headers["content-length"] = String(body.length);
    const path = `/${params["rest"] ?? ""}${url.search}`;
    res.writeHead(202, { "x-call-id": callId, "content-length": 0 });
    res.end();
    // The queue worker: invoke once, then report to the callback (if any).
    void (async () => {
      const started = Date.now();
      let result: { status: number; body: Buffer; headers: IncomingHttpHeaders };
      try {
        const base = endpointFor(ctx, name, namespace);
        countInvocation(ctx, namespace, name);
        result = await proxy(base, path, "POST", headers, body);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        result = { status: err instanceof Error && "status" in err ? Number((err as { status: number }).status) : 502, body: Buffer.from(JSON.stringify({ message })), headers: { "content-type": "application/json" } };
      }
      ctx.log(`async ${name}.${namespace} call ${callId}: status ${result.status}`);
      if (!callback) return;
      try {
        const r = await fetch(callback, {
          method: "POST",
          body: result.body,
          headers: {
            "content-type": String(result.headers["content-type"] ?? "application/octet-stream"),
            "x-call-id": callId,
            "x-function-name": `${name}.${namespace}`,
            "x-function-status": String(result.status),
            "x-duration-seconds": ((Date.now() - started) / 1000).toFixed(3),
          },
          signal: AbortSignal.timeout(30_000),
        });
        await r.arrayBuffer();
      } catch (err) {
        ctx.log(`async ${name}.${namespace} call ${callId}: callback failed: ${(err as Error).message}`);
      }
    })();
  };
  router.on("POST", "/async-function/:target", async_);
  router.on("POST", "/async-function/:target/*rest", async_);
}
