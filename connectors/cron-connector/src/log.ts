/**
 * Log lines. The connector never formats a token itself, and the SDK's errors hold none (gateway
 * text is redacted before it is cut, at every token length). Every line still passes
 * {@link scrubSecrets}: a last line of defence, by shape alone, for whatever a future change prints
 * that did not come through the SDK's errors.
 */

/** Where log lines go. */
export type LogSink = (line: string) => void;

/** A credential after an HTTP auth scheme. */
const SCHEME_CREDENTIAL = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{4,}/gi;
/**
 * A JWT or any part of one: its header and payload are base64url JSON objects, which always start
 * with `eyJ` (`{"`); the run and up to two more dot-separated runs go, however short the rest.
 */
const JWT_PART = /eyJ[A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]*){0,2}/g;

/** Replaces credentials and anything JWT-shaped (whole or truncated) with `[redacted]`. */
export function scrubSecrets(line: string): string {
  return line.replace(SCHEME_CREDENTIAL, "$1 [redacted]").replace(JWT_PART, "[redacted]");
}

/** Writes `<RFC 3339 time> <line>` to stderr, as Go's `log` package writes to stderr. */
export function stderrLog(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
}
