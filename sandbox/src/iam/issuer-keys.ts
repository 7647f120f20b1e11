import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";

/** Keys are re-fetched after this long, and at most this often when an unknown kid shows up. */
const CACHE_TTL_MS = 5 * 60_000;
const MIN_REFETCH_MS = 10_000;
const FETCH_TIMEOUT_MS = 5_000;
const MAX_DOCUMENT_BYTES = 512 * 1024;

interface CachedKeys {
  keySet: JWTVerifyGetKey;
  kids: Set<string>;
  fetchedAt: number;
}

/** A failure to obtain an issuer's keys; the message is safe to return to the client. */
export class IssuerKeysError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IssuerKeysError";
  }
}

/**
 * Fetches and caches the public keys of registered issuers through OIDC discovery:
 * `<issInternal or iss>/.well-known/openid-configuration` → `jwks_uri` → JWKS.
 */
export class IssuerKeyCache {
  private readonly cache = new Map<string, CachedKeys>();
  private readonly inflight = new Map<string, Promise<CachedKeys>>();
  /** When a refresh last failed: while the last good keys are served, retry at most every MIN_REFETCH_MS. */
  private readonly failedAt = new Map<string, number>();

  /** Keys for the issuer discovered at `baseUrl`; refetches when stale or when `kid` is unknown (rate-limited). */
  async keysFor(baseUrl: string, kid: string | undefined): Promise<JWTVerifyGetKey> {
    const cached = this.cache.get(baseUrl);
    const now = Date.now();
    const stale = !cached || now - cached.fetchedAt > CACHE_TTL_MS;
    const unknownKid = cached !== undefined && kid !== undefined && !cached.kids.has(kid) && now - cached.fetchedAt > MIN_REFETCH_MS;
    if (!stale && !unknownKid) return cached.keySet;
    // An unreachable issuer must not make every exchange wait for the fetch timeout again.
    if (cached && now - (this.failedAt.get(baseUrl) ?? -Infinity) < MIN_REFETCH_MS) return cached.keySet;
    let pending = this.inflight.get(baseUrl);
    if (!pending) {
      pending = this.fetchKeys(baseUrl).finally(() => this.inflight.delete(baseUrl));
      this.inflight.set(baseUrl, pending);
    }
    try {
      const fresh = await pending;
      this.cache.set(baseUrl, fresh);
      this.failedAt.delete(baseUrl);
      return fresh.keySet;
    } catch (err) {
      this.failedAt.set(baseUrl, Date.now());
      // Keep serving the last good keys when a refresh fails.
      if (cached) return cached.keySet;
      throw err;
    }
  }

  private async fetchKeys(baseUrl: string): Promise<CachedKeys> {
    const discoveryUrl = `${baseUrl.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    const discovery = await fetchJson(discoveryUrl, "discovery document");
    const jwksUri = (discovery as { jwks_uri?: unknown }).jwks_uri;
    if (typeof jwksUri !== "string") throw new IssuerKeysError(`discovery document at ${discoveryUrl} has no jwks_uri`);
    const jwks = (await fetchJson(jwksUri, "JWKS")) as JSONWebKeySet;
    if (!Array.isArray(jwks.keys)) throw new IssuerKeysError(`JWKS at ${jwksUri} has no keys array`);
    const kids = new Set(jwks.keys.map((k) => k.kid).filter((k): k is string => typeof k === "string"));
    return { keySet: createLocalJWKSet(jwks), kids, fetchedAt: Date.now() };
  }
}

async function fetchJson(url: string, what: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: "application/json" }, redirect: "error" });
  } catch (err) {
    throw new IssuerKeysError(`could not fetch the issuer's ${what} from ${url}: ${(err as Error).message}`);
  }
  if (!res.ok) throw new IssuerKeysError(`the issuer's ${what} at ${url} answered HTTP ${res.status}`);
  const text = await res.text();
  if (text.length > MAX_DOCUMENT_BYTES) throw new IssuerKeysError(`the issuer's ${what} at ${url} is too large`);
  try {
    return JSON.parse(text);
  } catch {
    throw new IssuerKeysError(`the issuer's ${what} at ${url} is not JSON`);
  }
}
