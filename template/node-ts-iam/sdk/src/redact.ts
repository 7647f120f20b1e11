/**
 * Scrubbing of credentials from anything that may end up in an error, a log line or a hook.
 * Errors built by this SDK never embed request headers or form bodies; this is the second line of
 * defence for text that comes from elsewhere (a gateway echoing a header, an undici message).
 *
 * Text is always redacted whole and cut afterwards (see {@link redactAndCut}): a cut token is no
 * longer a whole token nor a three-part JWT, so cutting first would let its first few hundred
 * characters through. Known secrets are matched by any run of {@link IDENTIFYING_RUN} characters,
 * so a prefix, a middle part or a suffix of one is found as well as the whole.
 */

/**
 * Shortest run of a known secret that is redacted wherever it appears: 12 base64url characters are
 * 72 bits, enough to tell one token from any other. A secret shorter than this is matched whole.
 */
export const IDENTIFYING_RUN = 12;
/** Shorter "secrets" would shred ordinary text and protect nothing. */
const MIN_SECRET_LENGTH = 4;
/** What replaces each redacted run. */
const MARK = "[redacted]";

/**
 * A base64url `eyJ…` run (the encoding of a JSON object: a JWT header or payload) with whatever
 * dot-joined segments follow it: a JWT, or any cut piece of one, whoever issued it.
 */
const JWT_FRAGMENT = /eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){0,2}/g;
/**
 * Three dot-separated base64url runs (a JWS whose header is not `eyJ…`), or two long ones (a JWT's
 * tail). Anchored at the start of a run, so a long run without dots is tried once, not once per
 * character (which would be quadratic).
 */
const JWS_SHAPED = /(?<![A-Za-z0-9_-])(?:[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}|[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,})/g;
/** A credential following an HTTP auth scheme name, also URL-encoded (`Bearer%20…`, `Bearer+…`). */
const SCHEME_CREDENTIAL = /\b(Bearer|Basic)(?:\s|%20|\+)+[A-Za-z0-9._~+/=%-]{4,}/gi;

/** Something that yields an `Authorization` header value on demand (a `Credential`). */
export interface HeaderCredential {
  authorization(): string;
}

/**
 * The secrets of one call, and the redaction of any text against them. A call scope makes one only
 * when it builds an error, sends a form with secrets, or sends a second credential (never on a
 * cached-token call's path); the match index is built on the first redaction.
 */
export class Redactor {
  #values: string[] | undefined;
  #credentials: HeaderCredential[] | undefined;
  /** Runs of every encoded form of every secret, grouped by run length; built on first use. */
  #index: Map<number, Set<string>> | undefined;

  /** Adds a secret value (a subject token, a client secret). */
  add(secret: string): void {
    (this.#values ??= []).push(secret);
    this.#index = undefined;
  }

  /** Adds a credential; its header value is read only if something is ever redacted. */
  addCredential(credential: HeaderCredential): void {
    const credentials = (this.#credentials ??= []);
    // Retries send the same credential again; a replay after a 401 adds the new one.
    if (credentials.includes(credential)) return;
    credentials.push(credential);
    this.#index = undefined;
  }

  /** `text` with every run of a known secret (in any encoded form) and every token-shaped substring replaced by `[redacted]`. */
  redact(text: string): string {
    return redact(this.#redactKnown(text));
  }

  #redactKnown(text: string): string {
    const index = (this.#index ??= buildIndex(this.#secretValues()));
    if (index.size === 0) return text;
    // Mark every position covered by a run of a secret, then replace each covered stretch once.
    // One pass per distinct run length: O(text length) set look-ups, whatever the secrets' length.
    const covered = new Uint8Array(text.length + 1);
    let any = false;
    for (const [length, runs] of index) {
      for (let i = 0; i + length <= text.length; i++) {
        if (runs.has(text.slice(i, i + length))) {
          covered.fill(1, i, i + length);
          any = true;
        }
      }
    }
    if (!any) return text;
    let out = "";
    for (let i = 0; i < text.length; ) {
      if (covered[i] === 0) {
        const start = i;
        while (i < text.length && covered[i] === 0) i++;
        out += text.slice(start, i);
      } else {
        while (i < text.length && covered[i] === 1) i++;
        out += MARK;
      }
    }
    return out;
  }

  #secretValues(): string[] {
    const out = [...(this.#values ?? [])];
    for (const credential of this.#credentials ?? []) {
      const value = credential.authorization();
      // The credential without its scheme name (every run of the header value is a run of it, or
      // spans the scheme name, which the scheme pattern covers anyway).
      const space = value.indexOf(" ");
      if (space <= 0) {
        out.push(value);
        continue;
      }
      const token = value.slice(space + 1);
      out.push(token);
      if (value.slice(0, space).toLowerCase() === "basic") {
        // A server complaining about a password quotes it decoded, not as base64.
        const pair = Buffer.from(token, "base64").toString("utf8");
        out.push(pair, pair.slice(pair.indexOf(":") + 1));
      }
    }
    return out;
  }
}

/**
 * Replaces every token-shaped substring of `text` (a JWT or any piece of one, a credential after
 * `Bearer` or `Basic`): what can be redacted without knowing the secrets (see {@link Redactor}).
 */
export function redact(text: string): string {
  return text.replace(SCHEME_CREDENTIAL, `$1 ${MARK}`).replace(JWT_FRAGMENT, MARK).replace(JWS_SHAPED, MARK);
}

/** Redacts `text`, then shortens it for an error message (keeping the start): never the other way round. */
export function redactAndCut(text: string, redactor: Redactor | undefined, max = 512): string {
  return cut(redactor ? redactor.redact(text) : redact(text), max);
}

/** Shortens already redacted text, keeping the start. */
function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** Every run of {@link IDENTIFYING_RUN} characters (or the whole, when shorter) of every encoded form of each secret. */
function buildIndex(secrets: readonly string[]): Map<number, Set<string>> {
  const index = new Map<number, Set<string>>();
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    for (const form of encodedForms(secret)) {
      const length = Math.min(IDENTIFYING_RUN, form.length);
      let runs = index.get(length);
      if (!runs) index.set(length, (runs = new Set()));
      for (let i = 0; i + length <= form.length; i++) runs.add(form.slice(i, i + length));
    }
  }
  return index;
}

/**
 * The forms in which a peer may echo a secret: as it is, percent-encoded (upper- and lower-case
 * hex, and as a form field with `+` for spaces), and escaped inside a JSON string (minimal
 * escaping, and the `\/` + `\u00xx` style of Go, PHP and others). Identical forms collapse; a JWT
 * (base64url and dots only) has just one.
 */
function encodedForms(secret: string): Set<string> {
  const percent = encodeURIComponent(secret);
  const json = JSON.stringify(secret).slice(1, -1);
  const jsonEscaped = json.replace(/[/<>&'\u007f-\uffff]/g, (c) => (c === "/" ? "\\/" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
  return new Set([
    secret,
    percent,
    percent.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
    new URLSearchParams({ v: secret }).toString().slice(2),
    json,
    jsonEscaped,
    jsonEscaped.replace(/\\u([0-9a-f]{4})/g, (_m, hex: string) => `\\u${hex.toUpperCase()}`),
  ]);
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
 * {@link SafeCause}, its message redacted with the call's `redactor`.
 */
export function safeCause(error: unknown, redactor?: Redactor, depth = 0): SafeCause {
  if (!(error instanceof Error)) return new SafeCause("Error", undefined, redactAndCut(String(error), redactor));
  const safe = new SafeCause(error.name, codeOf(error), redactAndCut(error.message, redactor));
  const inner = (error as { cause?: unknown }).cause;
  if (inner !== undefined && depth < 2) {
    Object.defineProperty(safe, "cause", { value: safeCause(inner, redactor, depth + 1), enumerable: false, writable: true, configurable: true });
  }
  return safe;
}

/** A {@link SafeCause} with only name and code: for errors from code that may quote what it read (a custom token source). */
export function withheldCause(error: unknown): SafeCause {
  return new SafeCause(error instanceof Error ? error.name : "Error", codeOf(error), "(message withheld)");
}

function codeOf(error: unknown): string | undefined {
  const code: unknown = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
