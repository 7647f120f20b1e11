/**
 * Leak detection for the canary tests, written independently of the SDK's redaction: a secret has
 * leaked when any run of {@link RUN} characters of it appears in any view of a value, read as it
 * is, percent-decoded, form-decoded or JSON-unescaped (once or twice, for JSON inside JSON).
 */
import { inspect } from "node:util";

/** Run length that identifies a secret (12 base64url characters = 72 bits). */
export const RUN = 12;

/** Secrets by label, indexed by every run of {@link RUN} characters (or the whole secret, when shorter). */
export class LeakDetector {
  readonly #runs = new Map<number, Map<string, string>>();
  readonly #labels = new Set<string>();

  /** Watches `secret`, reported as `label` when found. */
  add(label: string, secret: string): void {
    this.#labels.add(label);
    const length = Math.min(RUN, secret.length);
    let runs = this.#runs.get(length);
    if (!runs) this.#runs.set(length, (runs = new Map()));
    for (let i = 0; i + length <= secret.length; i++) runs.set(secret.slice(i, i + length), label);
  }

  /** How many secrets are watched. */
  get size(): number {
    return this.#labels.size;
  }

  /** Labels of the secrets any run of which appears in any decoding of any of `texts`. */
  find(texts: readonly string[]): string[] {
    const found = new Set<string>();
    // Views repeat themselves (a message is in the inspect output, the JSON and its own property).
    for (const text of new Set(texts)) {
      for (const decoded of decodings(text)) {
        for (const [length, runs] of this.#runs) {
          for (let i = 0; i + length <= decoded.length; i++) {
            const label = runs.get(decoded.slice(i, i + length));
            if (label !== undefined) found.add(label);
          }
        }
      }
    }
    return [...found].sort();
  }

  /** Labels of the secrets that leak through any view of `value`. */
  leaks(value: unknown): string[] {
    return this.find(views(value));
  }
}

/** The text as it is, and as a peer's encodings would hide a secret in it. */
function decodings(text: string): string[] {
  const percent = (t: string): string =>
    t.replace(/(?:%[0-9A-Fa-f]{2})+/g, (m) => {
      try {
        return decodeURIComponent(m);
      } catch {
        return m;
      }
    });
  const unescapeJson = (t: string): string =>
    t.replace(/\\(u[0-9a-fA-F]{4}|["\\/bfnrt])/g, (_m, e: string) =>
      e.startsWith("u") ? String.fromCharCode(parseInt(e.slice(1), 16)) : (({ b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" }) as Record<string, string>)[e] ?? e,
    );
  const out = new Set([text]);
  if (text.includes("%") || text.includes("+")) out.add(percent(text)).add(percent(text.replaceAll("+", " ")));
  if (text.includes("\\")) {
    const once = unescapeJson(text);
    out.add(once).add(unescapeJson(once));
  }
  return [...out];
}

/** Every way a value can be looked at: inspect (hidden fields, getters), JSON, String, and the same for each own property, deeply. */
export function views(value: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const visit = (v: unknown, depth: number): void => {
    if (depth > 6 || seen.has(v)) return;
    seen.add(v);
    out.push(inspect(v, { depth: Infinity, showHidden: true, getters: true }));
    try {
      out.push(JSON.stringify(v) ?? "");
    } catch {
      // circular: inspect covers it
    }
    out.push(String(v));
    if (typeof v === "object" && v !== null) {
      for (const key of Object.getOwnPropertyNames(v)) visit((v as Record<string, unknown>)[key], depth + 1);
    }
  };
  visit(value, 0);
  return out;
}
