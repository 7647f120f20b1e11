/**
 * The Kubernetes TokenRequest API on the issuer (the kube-apiserver stand-in), which `kubectl create
 * token <sa> -n <ns>` calls: `POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token` with an
 * `authentication.k8s.io/v1` TokenRequest, answered 201 with the token in `status.token`. The caller
 * authenticates with the sandbox's operator credential (the admin of `npm start`, in place of a
 * kubeconfig); the service account must be declared in the manifests, as it must exist in a cluster.
 * Errors are Kubernetes `Status` objects. `npm run token` is the client (`../token-cli.ts`).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "../http/body.js";
import { HttpError } from "../http/errors.js";
import { sendJson } from "../http/respond.js";
import { isRfc1123Label } from "../names.js";
import { MAX_EXPIRATION_SECONDS, MIN_EXPIRATION_SECONDS, type TokenRequest } from "./service-account-issuer.js";

/** The TokenRequest path of the Kubernetes API. */
const TOKEN_REQUEST_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/serviceaccounts\/([^/]+)\/token$/;

/** `expirationSeconds` when a request leaves it out (the API server's default). */
export const DEFAULT_TOKEN_REQUEST_SECONDS = 3600;

const MAX_BODY_BYTES = 64 * 1024;
const MAX_AUDIENCES = 16;

/** What the endpoint needs from the sandbox. */
export interface TokenRequestDeps {
  /** Whether the `Authorization` header carries the operator credential. */
  authorized(header: string | undefined): boolean;
  /** Whether the manifests declare this service account. */
  serviceAccountExists(namespace: string, name: string): boolean;
  /** Audiences when the request names none (the sandbox gateway, which its `kubernetes` JwtIssuer accepts). */
  defaultAudiences(): string[];
  mint(request: TokenRequest, now: Date): Promise<string>;
}

/** A Kubernetes `Status` failure as an {@link HttpError}. */
function status(code: number, reason: string, message: string, details?: Record<string, unknown>): HttpError {
  return new HttpError(code, message, {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  });
}

function invalid(name: string, field: string, problem: string): HttpError {
  return status(422, "Invalid", `TokenRequest.authentication.k8s.io "${name}" is invalid: ${field}: ${problem}`, {
    name,
    group: "authentication.k8s.io",
    kind: "TokenRequest",
    causes: [{ reason: "FieldValueInvalid", message: problem, field }],
  });
}

/**
 * Serves the request if its path is the TokenRequest API's; returns false (untouched) otherwise.
 * For the issuer's `handleAlso`.
 */
export function tokenRequestRoute(req: IncomingMessage, res: ServerResponse, path: string, deps: TokenRequestDeps): boolean {
  const match = TOKEN_REQUEST_PATH.exec(path);
  if (!match) return false;
  const [namespace, name] = [match[1]!, match[2]!];
  void tokenRequest(req, { namespace, name }, deps).then(
    (answer) => send(res, 201, answer),
    (err: unknown) => {
      const failure = err instanceof HttpError ? err : status(500, "InternalError", "internal error");
      send(res, failure.status, failure.body);
    },
  );
  return true;
}

async function tokenRequest(req: IncomingMessage, { namespace, name }: { namespace: string; name: string }, deps: TokenRequestDeps): Promise<Record<string, unknown>> {
  if (req.method !== "POST") {
    req.resume();
    throw status(405, "MethodNotAllowed", `the server does not allow this method on the requested resource (${req.method} on serviceaccounts/token)`);
  }
  if (!deps.authorized(req.headers.authorization)) {
    req.resume();
    throw status(401, "Unauthorized", "Unauthorized");
  }
  const raw = await readBody(req, MAX_BODY_BYTES, (m) => status(413, "RequestEntityTooLarge", m));
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (raw.length > 0 && type !== "application/json") throw status(415, "UnsupportedMediaType", `the body of a TokenRequest must be application/json`);
  let body: unknown = {};
  if (raw.length > 0) {
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      throw status(400, "BadRequest", "the request body is not valid JSON");
    }
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw status(400, "BadRequest", "the request body must be a TokenRequest object");
  const request = body as { kind?: unknown; spec?: unknown };
  if (request.kind !== undefined && request.kind !== "TokenRequest") throw status(400, "BadRequest", `expected kind TokenRequest`);
  const spec = (request.spec ?? {}) as { audiences?: unknown; expirationSeconds?: unknown };
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) throw invalid(name, "spec", "must be an object");
  let audiences = deps.defaultAudiences();
  if (spec.audiences !== undefined && spec.audiences !== null) {
    const list = spec.audiences;
    if (!Array.isArray(list) || list.length > MAX_AUDIENCES || !list.every((a) => typeof a === "string" && a.length > 0 && a.length <= 1024)) {
      throw invalid(name, "spec.audiences", `must be a list of at most ${MAX_AUDIENCES} non-empty strings`);
    }
    if (list.length > 0) audiences = list as string[];
  }
  let seconds = DEFAULT_TOKEN_REQUEST_SECONDS;
  if (spec.expirationSeconds !== undefined && spec.expirationSeconds !== null) {
    const value = spec.expirationSeconds;
    if (typeof value !== "number" || !Number.isInteger(value)) throw invalid(name, "spec.expirationSeconds", "must be an integer number of seconds");
    if (value < MIN_EXPIRATION_SECONDS) throw invalid(name, "spec.expirationSeconds", `may not specify a duration less than ${MIN_EXPIRATION_SECONDS / 60} minutes`);
    if (value > MAX_EXPIRATION_SECONDS) throw invalid(name, "spec.expirationSeconds", `may not specify a duration longer than ${MAX_EXPIRATION_SECONDS} seconds`);
    seconds = value;
  }
  // Path segments are compared raw: a name that is not an RFC 1123 label cannot name a service account.
  if (!isRfc1123Label(namespace) || !isRfc1123Label(name) || !deps.serviceAccountExists(namespace, name)) {
    throw status(404, "NotFound", `serviceaccounts "${name}" not found`, { name, kind: "serviceaccounts" });
  }
  const now = new Date();
  const token = await deps.mint({ namespace, serviceAccount: name, audience: audiences, expirationSeconds: seconds }, now);
  return {
    kind: "TokenRequest",
    apiVersion: "authentication.k8s.io/v1",
    metadata: { name, namespace, creationTimestamp: null },
    spec: { audiences, expirationSeconds: seconds, boundObjectRef: null },
    status: { token, expirationTimestamp: new Date(Math.floor(now.getTime() / 1000) * 1000 + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z") },
  };
}

/** The API server answers `application/json` without a charset. */
function send(res: ServerResponse, code: number, body: unknown): void {
  sendJson(res, code, body, { "content-type": "application/json" });
}
