/**
 * Scrubbing of credentials from anything that may end up in an error, a log line or a hook.
 * Errors built by this SDK never embed request headers or form bodies; this is the second line of
 * defence for text that comes from elsewhere (a gateway echoing a header, an undici message).
 */

/** Three dot-separated base64url runs: the shape of a JWT, whatever its origin. */
const JWT_SHAPED = /[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}/g;
/** A credential following an HTTP auth scheme name. */
const SCHEME_CREDENTIAL = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{4,}/gi;

/** Replaces every known secret and every token-shaped substring of `text` with `[redacted]`. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    // Very short "secrets" would shred ordinary text and protect nothing.
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join("[redacted]");
  }
  return out.replace(SCHEME_CREDENTIAL, "$1 [redacted]").replace(JWT_SHAPED, "[redacted]");
}

/** Shortens text for an error message, keeping the start. */
export function truncate(text: string, max = 512): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/**
 * A sanitised stand-in for an underlying error (for example an undici socket error): only its name,
 * `code` and redacted message survive, never the request, headers or sockets the original refers to.
 */
export class SafeCause extends Error {
  /** The system or undici error code of the original error, when it had one. */
  readonly code: string | undefined;
  constructor(name: string, code: string | undefined, message: string) {
    super(message);
    this.name = name;
    this.code = code;
  }
}

/**
 * Copies the safe fields of `error` (and of its own causes, two levels deep) into a
 * {@link SafeCause}. With `withholdMessage` only name and code survive: for errors from code that
 * may quote what it read (a custom token source).
 */
export function safeCause(error: unknown, secrets: readonly string[] = [], depth = 0, withholdMessage = false): SafeCause {
  if (withholdMessage) {
    const name = error instanceof Error ? error.name : "Error";
    const code: unknown = (error as { code?: unknown } | null)?.code;
    return new SafeCause(name, typeof code === "string" ? code : undefined, "(message withheld)");
  }
  if (!(error instanceof Error)) return new SafeCause("Error", undefined, redact(truncate(String(error)), secrets));
  const rawCode: unknown = (error as { code?: unknown }).code;
  const code = typeof rawCode === "string" ? rawCode : undefined;
  const safe = new SafeCause(error.name, code, redact(truncate(error.message), secrets));
  const inner = (error as { cause?: unknown }).cause;
  if (inner !== undefined && depth < 2) {
    Object.defineProperty(safe, "cause", { value: safeCause(inner, secrets, depth + 1), enumerable: false, writable: true, configurable: true });
  }
  return safe;
}
