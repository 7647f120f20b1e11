/**
 * Function authentication as of-watchdog 0.10.1 performs it for a function deployed with
 * `jwt_auth=true` (its faas-middleware `auth` package; behaviour checked against the real binary in
 * `test/conformance/watchdog-jwt.test.ts`):
 *
 * - the bearer is the `Authorization` header with a case-sensitive `Bearer ` prefix removed, so
 *   `bearer <token>` or `Basic …` is read as a token and fails; the query string is never read;
 * - the token must verify against the keys the gateway published when the pod started, chosen by
 *   `kid`, with `iss` = the gateway's discovery `issuer`, `aud` containing that same URL and 1 s of
 *   leeway on `exp`/`nbf`; any failure is 401 with `WWW-Authenticate: Bearer realm=IAM function invoke`;
 * - the `function` claim must grant `<namespace>:<name>`: `permissions` must match it and
 *   `audience`, when not empty, too; otherwise 403 `insufficient permissions`. An API access token
 *   (no `function` claim) is therefore a 403, not a 401.
 *
 * Where the sandbox differs on purpose: the watchdog quotes a token it could parse but found
 * invalid in its 401 body; the sandbox never writes a token anywhere. And the watchdog matches
 * permissions as unanchored regular expressions (a grant for `openfaas-fn:ns` also opens
 * `openfaas-fn:ns-admin`); the sandbox anchors them as the gateway's IAM matching does.
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";
import { globMatches } from "../iam/glob.js";
import { describeJoseError } from "../iam/jose-errors.js";
import { MAX_TOKEN_BYTES } from "../iam/jwt-shape.js";

/** The realm of the watchdog's 401 challenge (faas-cli retries with a function token when it sees it). */
export const FUNCTION_REALM = "IAM function invoke";

/** The leeway the watchdog allows on `exp` and `nbf`, in seconds. */
const LEEWAY_SECONDS = 1;
/** Verified tokens remembered per function (the oldest is dropped beyond this). */
const MAX_REMEMBERED = 10_000;

/** What a watchdog reads from the gateway's discovery document when its pod starts. */
export interface FunctionTokenKeys {
  /** The discovery `issuer`: the required `iss`, and a required member of `aud`. */
  issuer: string;
  /** The gateway's published keys (`jwks_uri`), fetched once: the watchdog never refreshes them. */
  jwks: JSONWebKeySet;
}

/** The outcome for one request: let it through, or refuse it with this status and plain-text message. */
export type FunctionAuthDecision = { allowed: true } | { allowed: false; status: 401 | 403; message: string };

/** Whether a deployment's environment turns function authentication on (`true` or `1`, as the watchdog reads it). */
export function jwtAuthEnabled(envVars: Readonly<Record<string, string>>): boolean {
  return envVars["jwt_auth"] === "true" || envVars["jwt_auth"] === "1";
}

/** Checks function access tokens for one function, with the keys of one gateway. */
export class FunctionAuthenticator {
  private readonly resource: string;
  private readonly keySet: ReturnType<typeof createLocalJWKSet>;
  private readonly kids: ReadonlySet<string>;
  /**
   * Decisions on tokens whose signature and claims verified, until their `exp` (plus the leeway): a
   * caller sends the same function token on every call, and the signature check is the costliest
   * step. The keys never change while the pod runs, so a verified token stays verified until then.
   */
  private readonly verified = new Map<string, { decision: FunctionAuthDecision; until: number }>();

  /**
   * @param target - the function this pod serves (`OPENFAAS_NAME`, `OPENFAAS_NAMESPACE`).
   * @param keys - the gateway's issuer and keys, read once like the watchdog does at start.
   */
  constructor(
    target: { namespace: string; name: string },
    private readonly keys: FunctionTokenKeys,
  ) {
    this.resource = `${target.namespace}:${target.name}`;
    this.keySet = createLocalJWKSet(keys.jwks);
    this.kids = new Set(keys.jwks.keys.map((k) => k.kid).filter((kid): kid is string => typeof kid === "string"));
  }

  /** Decides on the request's `Authorization` header value (the first one, as Go's `Header.Get` reads it). */
  async check(authorization: string | undefined): Promise<FunctionAuthDecision> {
    const header = authorization ?? "";
    const bearer = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : header;
    if (bearer === "") return unauthorized("Bearer must be present in Authorization header");
    if (Buffer.byteLength(bearer) > MAX_TOKEN_BYTES) return unauthorized(`failed to parse JWT token: the token is larger than ${MAX_TOKEN_BYTES} bytes`);
    const remembered = this.verified.get(bearer);
    if (remembered !== undefined) {
      if (Date.now() <= remembered.until) return remembered.decision;
      this.verified.delete(bearer);
    }
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(bearer).kid;
    } catch {
      return unauthorized("failed to parse JWT token: the token is malformed");
    }
    // The watchdog looks the key up by kid only; without one (or with one it does not know) it stops there.
    if (typeof kid !== "string" || !this.kids.has(kid)) return unauthorized("failed to parse JWT token: invalid kid");
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(bearer, this.keySet, {
        issuer: this.keys.issuer,
        audience: this.keys.issuer,
        clockTolerance: LEEWAY_SECONDS,
      }));
    } catch (err) {
      return unauthorized(`failed to parse JWT token: ${describeJoseError(err, "the token")}`);
    }
    const grant = functionGrant(payload["function"]);
    // Go decodes the claims into typed fields: a `function` claim of another shape fails the parse.
    if (grant === undefined) return unauthorized("failed to parse JWT token: the function claim is malformed");
    const audienceOk = grant.audience.length === 0 || grant.audience.some((p) => this.matches(p));
    const decision: FunctionAuthDecision =
      audienceOk && grant.permissions.some((p) => this.matches(p)) ? { allowed: true } : { allowed: false, status: 403, message: "insufficient permissions" };
    // A token without exp never expires for the watchdog either; it is re-verified after an hour anyway.
    const until = (typeof payload.exp === "number" ? payload.exp + LEEWAY_SECONDS : Date.now() / 1000 + 3600) * 1000;
    if (this.verified.size >= MAX_REMEMBERED) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(bearer, { decision, until });
    return decision;
  }

  private matches(pattern: string): boolean {
    return pattern === "*" || (pattern !== "" && globMatches(pattern, this.resource));
  }
}

/** The `function` claim as Go would decode it (absent or null lists are empty); `undefined` when it could not be decoded. */
function functionGrant(claim: unknown): { permissions: string[]; audience: string[] } | undefined {
  if (claim === undefined || claim === null) return { permissions: [], audience: [] };
  if (typeof claim !== "object" || Array.isArray(claim)) return undefined;
  const permissions = stringList((claim as Record<string, unknown>)["permissions"]);
  const audience = stringList((claim as Record<string, unknown>)["audience"]);
  return permissions && audience ? { permissions, audience } : undefined;
}

function stringList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined;
}

function unauthorized(message: string): FunctionAuthDecision {
  return { allowed: false, status: 401, message };
}
