/**
 * The error contract of every function answer (the template server's and the HTTP API kit's):
 * a JSON body `{"code": "<STABLE_CODE>", "message": "<text>", ...details}`, codes in
 * SCREAMING_SNAKE case without the `ERR_` prefix of the SDK's JavaScript errors. This is the list of
 * codes the samples can answer, each with the detail fields it may carry; a code or a field outside
 * it is a change of the contract, which this check makes visible.
 */

/** Detail fields each code may carry, besides `code` and `message`. */
export const KNOWN_ERROR_CODES: Readonly<Record<string, readonly string[]>> = {
  // The template server, before a handler runs or when its answer cannot be sent.
  MALFORMED_JSON: [],
  MALFORMED_BODY: [],
  BODY_UNREADABLE: [],
  BODY_TOO_LARGE: [],
  TOO_MANY_PARAMETERS: [],
  UNSUPPORTED_CHARSET: [],
  UNSUPPORTED_ENCODING: [],
  INVALID_RESPONSE: [],
  NOT_READY: [],
  // The kit's router and request readers (ROUTE_NOT_FOUND and INTERNAL are the server's too).
  ROUTE_NOT_FOUND: [],
  METHOD_NOT_ALLOWED: ["allow"],
  INVALID_NAME: ["field"],
  INVALID_BODY: ["field", "allowedFields"],
  INVALID_QUERY: ["field"],
  UNSUPPORTED_MEDIA_TYPE: ["allowed"],
  INTERNAL: [],
  // The kit's mapping of the gateway client's errors.
  GATEWAY_FORBIDDEN: ["reason"],
  NOT_FOUND: [],
  CONFLICT: [],
  GATEWAY_REJECTED: [],
  GATEWAY_AUTH_FAILED: [],
  GATEWAY_UNAVAILABLE: [],
  GATEWAY_TIMEOUT: [],
  // The samples' own.
  INVALID_REPLICAS: ["field", "max"],
  NAMESPACE_NOT_ALLOWED: ["namespace", "allowed"],
  ANNOTATION_NOT_ALLOWED: ["field"],
  TENANT_NOT_FOUND: ["tenant"],
  TENANT_NOT_MANAGED: ["namespace"],
  INJECTED_FAULT: [],
};

/** Fields any answer of a function may add to every code (tenant-provisioner: what was done before a failure). */
const EXTRA_FIELDS: Readonly<Record<string, readonly string[]>> = { "tenant-provisioner": ["report"] };

/**
 * What is wrong with `body` as an error answer of function `fn`, or `undefined` when it keeps the
 * contract: an object with a known `code`, a string `message`, and only that code's detail fields.
 */
export function contractViolation(body: unknown, fn?: string): string | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "not a JSON object";
  const { code, message, ...details } = body as Record<string, unknown>;
  if (typeof code !== "string" || !(code in KNOWN_ERROR_CODES)) return `unknown code ${JSON.stringify(code)}`;
  if (typeof message !== "string" || message === "") return `no message (code ${code})`;
  const allowed = [...KNOWN_ERROR_CODES[code]!, ...(fn === undefined ? [] : (EXTRA_FIELDS[fn] ?? []))];
  const unexpected = Object.keys(details).filter((key) => !allowed.includes(key));
  return unexpected.length > 0 ? `unexpected field(s) ${unexpected.join(", ")} (code ${code})` : undefined;
}
