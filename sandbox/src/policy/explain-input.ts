/**
 * What `policy explain` is asked, checked before anything is decided: the request (an action the
 * gateway checks, on a resource of the shape it checks it on), and the subject token's claims, built
 * from `--subject` and `--issuer` as the issuer would write them, or read from `--token FILE`. Every
 * refusal is a {@link PolicyToolError} of one line that never holds a token.
 */
import { readFile, stat } from "node:fs/promises";
import { decodeJwt } from "jose";
import type { Claims } from "../iam/conditions.js";
import { nearestAction } from "../iam/action-names.js";
import { peekJwt } from "../iam/jwt-shape.js";
import { FUNCTION_AUDIENCE } from "../iam/token-exchange.js";
import { KNOWN_ACTIONS, type JwtIssuerObject } from "../iam/types.js";
import { KUBERNETES_ISSUER, serviceAccountClaims } from "../issuer/service-account-issuer.js";
import { isRfc1123Label } from "../names.js";
import { PolicyToolError } from "./errors.js";
import type { ExplainModel, ExplainRequest } from "./explain.js";
import { tokenSubject } from "./identity.js";

/**
 * Actions the gateway checks on a namespace (`<ns>:*`) rather than on one function (`<ns>:<fn>`);
 * System:Info is checked on `*` (sandbox/README.md, "Where OpenFaaS is closed source": resources).
 */
const NAMESPACE_ACTIONS = new Set(["Function:List", "Secret:List", "Secret:Create", "Secret:Update", "Secret:Delete", "Namespace:List", "Namespace:Get", "Namespace:Create", "Namespace:Update", "Namespace:Delete"]);
const SHAPES = "<namespace>:<function>, <namespace>:* for Function:List, Secret:* and Namespace:*, or * for System:Info";

/** A token file larger than this is no token (the gateway refuses subject tokens over 16 KiB). */
const MAX_TOKEN_FILE_BYTES = 64 * 1024;
/** Lifetime given to the token a `--subject` stands for (seconds; only `exp` depends on it). */
const SUBJECT_TOKEN_SECONDS = 3600;
/** Claims `--claim` may not set: `--subject` and `--issuer` decide them. */
const OWN_CLAIMS = new Set(["iss", "sub", "aud", "exp", "iat", "nbf"]);

/** `--action A --resource R`, or `--invoke NS:FN` (a function token, decided as Function:Invoke on it). */
export function explainRequest(action: string | undefined, resource: string | undefined, invoke: string | undefined): ExplainRequest {
  if (invoke !== undefined) {
    if (!FUNCTION_AUDIENCE.test(invoke)) throw new PolicyToolError("BAD_RESOURCE", `--invoke takes <namespace>:<function> (RFC 1123 labels), the audience of a function token; got ${JSON.stringify(invoke)}`);
    return { action: "Function:Invoke", resource: invoke, functionToken: true };
  }
  const a = action!;
  const r = resource!;
  if (!(KNOWN_ACTIONS as readonly string[]).includes(a)) {
    const nearest = nearestAction(a);
    const hint = nearest && !nearest.includes("*") ? ` (did you mean ${nearest}?)` : a.includes("*") ? " (explain takes one action, not a pattern)" : "";
    throw new PolicyToolError("BAD_ACTION", `--action ${JSON.stringify(a)} is not an action the gateway checks${hint}; one of ${KNOWN_ACTIONS.join(", ")}`);
  }
  if (a === "Function:Invoke") return explainRequest(undefined, undefined, r);
  const colon = r.indexOf(":");
  if (a === "System:Info" || r === "*") {
    if (a !== "System:Info" || r !== "*") throw new PolicyToolError("BAD_RESOURCE", `${a} is checked on ${a === "System:Info" ? "*" : "a resource of its namespace"}, not ${JSON.stringify(r)}; resources are ${SHAPES}`);
    return { action: a, resource: r, functionToken: false };
  }
  if (colon < 0) throw new PolicyToolError("BAD_RESOURCE", `--resource ${JSON.stringify(r)} has no ":"; resources are ${SHAPES}`);
  const namespace = r.slice(0, colon);
  const name = r.slice(colon + 1);
  if (!isRfc1123Label(namespace)) throw new PolicyToolError("BAD_RESOURCE", `--resource ${JSON.stringify(r)}: ${JSON.stringify(namespace)} is not a namespace name (an RFC 1123 label)`);
  if (NAMESPACE_ACTIONS.has(a) ? name !== "*" : !isRfc1123Label(name)) {
    throw new PolicyToolError("BAD_RESOURCE", `${a} is checked on ${NAMESPACE_ACTIONS.has(a) ? `${namespace}:*` : `${namespace}:<function> (an RFC 1123 label)`}, not ${JSON.stringify(r)}`);
  }
  return { action: a, resource: r, functionToken: false };
}

/** The JwtIssuer `--issuer` names (by name or `iss`), by default the `kubernetes` one. */
export function chooseIssuer(model: ExplainModel, ref: string | undefined): JwtIssuerObject {
  const issuer = ref === undefined ? model.issuers[0] : model.issuers.find((i) => i.name === ref || i.spec.iss === ref);
  if (issuer) return issuer;
  const trusted = model.issuers.map((i) => `${i.name} (${i.spec.iss})`).join(", ");
  throw new PolicyToolError("UNKNOWN_ISSUER", `--issuer ${JSON.stringify(ref)} names no JwtIssuer the gateway trusts; trusted: ${trusted}`);
}

/**
 * The claims of a token `issuer` would issue for `subject`: a service account token's claims for
 * the cluster's issuer (whose subjects are `system:serviceaccount:<ns>:<name>`), else `iss`, `sub`,
 * `aud` and times; then each `--claim NAME=VALUE` (repeated: a list; a value starting with `[` is JSON).
 */
export function subjectClaims(issuer: JwtIssuerObject, subject: string, extra: readonly string[], now: Date = new Date()): Claims {
  const sub = tokenSubject(subject);
  if (sub === "" || sub.length > 512 || /[\s\p{Cc}]/u.test(sub)) throw new PolicyToolError("BAD_SUBJECT", `--subject must be a token subject such as system:serviceaccount:ci:deployer (got ${JSON.stringify(subject.slice(0, 80))})`);
  const iat = Math.floor(now.getTime() / 1000);
  const aud = [issuer.spec.aud[0]!];
  let claims: Claims;
  if (issuer.spec.iss === KUBERNETES_ISSUER) {
    const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(sub);
    if (!m || !isRfc1123Label(m[1]) || !isRfc1123Label(m[2])) {
      const slash = /^([a-z0-9-]+)\/([a-z0-9-]+)$/.exec(sub);
      const hint = slash ? ` (did you mean system:serviceaccount:${slash[1]}:${slash[2]}?)` : "";
      throw new PolicyToolError("BAD_SUBJECT", `JwtIssuer ${issuer.name} issues service account tokens, whose subject is system:serviceaccount:<namespace>:<name>; got ${JSON.stringify(sub)}${hint}`);
    }
    claims = { ...serviceAccountClaims(issuer.spec.iss, m[1]!, m[2]!, aud, iat, SUBJECT_TOKEN_SECONDS) };
  } else {
    claims = { iss: issuer.spec.iss, sub, aud, iat, nbf: iat, exp: iat + SUBJECT_TOKEN_SECONDS };
  }
  const added = new Map<string, unknown[]>();
  for (const pair of extra) {
    const eq = pair.indexOf("=");
    const name = eq < 0 ? "" : pair.slice(0, eq);
    if (name === "") throw new PolicyToolError("USAGE", `--claim takes NAME=VALUE (got ${JSON.stringify(pair.slice(0, 80))})`);
    if (OWN_CLAIMS.has(name)) throw new PolicyToolError("USAGE", `--claim cannot set ${name}: --subject and --issuer decide it`);
    added.set(name, [...(added.get(name) ?? []), claimValue(pair.slice(eq + 1))]);
  }
  for (const [name, values] of added) claims[name] = values.length === 1 ? values[0] : values;
  return claims;
}

function claimValue(text: string): unknown {
  if (!text.startsWith("[")) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PolicyToolError("USAGE", `--claim value ${JSON.stringify(text.slice(0, 80))} starts with [ but is not a JSON list`);
  }
}

/**
 * The claims of the token in `file` (a trailing newline allowed), read without checking its
 * signature. Refuses an unreadable file and anything that is not a JWT with `iss` and `sub`; no
 * message quotes the file's content.
 */
export async function tokenFileClaims(file: string): Promise<Claims> {
  const fail = (problem: string) => new PolicyToolError("BAD_TOKEN", `--token ${file}: ${problem}`);
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw fail("is not a file");
    if (info.size > MAX_TOKEN_FILE_BYTES) throw fail(`is larger than ${MAX_TOKEN_FILE_BYTES} bytes: no token file`);
    text = (await readFile(file, "utf8")).trim();
  } catch (err) {
    if (err instanceof PolicyToolError) throw err;
    throw fail(`cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const peek = peekJwt(text, "the file");
  if ("problem" in peek) throw fail(peek.problem);
  const claims = decodeJwt(text) as Claims;
  for (const name of ["iss", "sub"]) {
    if (typeof claims[name] !== "string" || claims[name] === "") throw fail(`the token has no ${name} claim (the gateway refuses it)`);
  }
  return claims;
}
