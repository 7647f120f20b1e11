/**
 * Function invocation through the gateway: sync (`/function/<name>.<ns>`) or queued
 * (`/async-function/…`, `X-Callback-Url`, `X-Call-Id`). The API access token is never sent to a
 * function; with function auth a separate function token (`scope=function`,
 * `audience=<ns>:<name>`) is exchanged and cached per `<name>.<ns>`.
 */
import { TokenAuth } from "./auth.js";
import { InvalidArgumentError } from "./errors.js";
import { header } from "./http.js";
import { optionalLabel, requireLabel } from "./names.js";
import type { CallOptions, Pipeline, QueryValue } from "./request.js";
import type { InvokeRequest, InvokeResult } from "./types.js";

/** @internal */
export async function invokeFunction(
  p: Pipeline,
  name: string,
  namespace: string | undefined,
  request: InvokeRequest,
  functionTokensByDefault: boolean,
  options?: CallOptions,
): Promise<InvokeResult> {
  const fn = requireLabel(name, "function name");
  const ns = optionalLabel(namespace, "namespace");
  const subPath = checkSubPath(request.path);
  const target = ns ? `${fn}.${ns}` : fn;
  const path = `/${request.async ? "async-function" : "function"}/${target}${subPath}`;
  const method = request.async ? "POST" : (request.method ?? "POST").toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw new InvalidArgumentError("method must be an HTTP method name");
  const headers: Record<string, string> = { accept: "*/*", ...request.headers };
  if (request.callbackUrl !== undefined) {
    if (!request.async) throw new InvalidArgumentError("callbackUrl needs async: true");
    try {
      new URL(request.callbackUrl);
    } catch {
      throw new InvalidArgumentError("callbackUrl must be an absolute URL");
    }
    headers["x-callback-url"] = request.callbackUrl;
  }
  let auth: TokenAuth | "none" = "none";
  if (request.functionAuth ?? functionTokensByDefault) {
    if (!(p.auth instanceof TokenAuth)) throw new InvalidArgumentError("function-token auth needs a client with TokenAuth");
    if (!ns) throw new InvalidArgumentError("function-token auth needs the function's namespace");
    auth = p.auth.forFunction(fn, ns);
  }
  const query: Record<string, QueryValue> | undefined = request.query;
  const res = await p.call(
    { method, path, query, body: request.body, headers, auth, returnErrors: request.throwHttpErrors === false },
    options,
  );
  const callId = header(res.headers, "x-call-id");
  return { status: res.status, headers: res.headers, body: res.body, ...(callId !== undefined ? { callId } : {}) };
}

function checkSubPath(path: string | undefined): string {
  if (path === undefined || path === "" || path === "/") return path ?? "";
  if (!path.startsWith("/")) throw new InvalidArgumentError("path must start with '/'");
  // A dot segment would let URL normalisation climb out of /function/<name> to other gateway routes.
  const segments = path.split("/").map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  if (segments.some((s) => s === "." || s === ".." || s.includes("/") || s.includes("\\")) || path.includes("?") || path.includes("#")) {
    throw new InvalidArgumentError("path must not contain dot segments, '?' or '#'");
  }
  // Sent as a URL would write it: spaces, quotes, non-ASCII and the like percent-encoded.
  return URL_PATH_PLAIN.test(path) ? path : new URL(path, "http://h").pathname;
}

/** Characters a URL's path keeps as they are (everything printable in ASCII but `"#<>?\`{}`). */
const URL_PATH_PLAIN = /^[!$-;=@-_a-z|~]*$/;
