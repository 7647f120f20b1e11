/**
 * How a client authenticates: {@link TokenAuth} (IAM: exchange a subject token for an OpenFaaS
 * access token, cached) or {@link BasicAuth} (an admin credential).
 */
import { checkTimeout, OpenFaaSError, TokenSourceError } from "./errors.js";
import { exchangeToken } from "./exchange.js";
import { withheldCause } from "./redact.js";
import type { TokenSource } from "./sources.js";
import { TokenCache, type TokenCacheStats, type TokenLifecycleOptions } from "./token.js";

/** The value of an `Authorization` header plus what the replay-after-401 rule needs. */
export interface Credential {
  /**
   * The complete `Authorization` header value (e.g. `Bearer …`). Secret; a method rather than a
   * property so that no inspection or serialisation of the object can show it.
   */
  authorization(): string;
  /** When the credential was obtained (the auth's clock); absent for static credentials. */
  readonly issuedAt?: number;
}

/** Something that authorises gateway requests. */
export interface ClientAuth {
  /** A credential for the next request. */
  authorize(signal?: AbortSignal): Promise<Credential>;
  /**
   * The credential `authorize` would resolve to, when it is available right now without waiting
   * (a cached token); `undefined` otherwise. Lets a client skip the promise on its hot path.
   */
  peek?(): Credential | undefined;
  /** Discards a cached credential obtained before `issuedBefore` (after a 401). */
  invalidate?(issuedBefore: number): void;
  /** The clock `issuedAt` is measured with. */
  now?(): number;
}

/** A credential whose secret lives in a private field: logging or serialising it shows no token. */
class HiddenCredential implements Credential {
  readonly #headerValue: string;
  readonly issuedAt: number | undefined;
  constructor(headerValue: string, issuedAt?: number) {
    this.#headerValue = headerValue;
    this.issuedAt = issuedAt;
  }
  authorization(): string {
    return this.#headerValue;
  }
}

/** Options of {@link TokenAuth}. */
export interface TokenAuthOptions extends TokenLifecycleOptions {
  /** Where the subject token comes from (e.g. a {@link ServiceAccountTokenSource}). */
  source: TokenSource;
  /** The gateway's token endpoint, `<gateway>/oauth/token`. */
  tokenURL: string | URL;
  /** Scopes to request. */
  scope?: string | readonly string[];
  /** Audiences to request. */
  audience?: string | readonly string[];
  /** Lifetime assumed when the response gives neither `expires_in` nor a JWT `exp` (default 60,000 ms). */
  assumedLifetimeMs?: number;
  /**
   * Ceiling of an access token's lifetime (default 86,400,000 ms = 24 h): the token is kept no
   * longer than this, nor past its own `exp` when it is a JWT, whatever `expires_in` says.
   */
  maxLifetimeMs?: number;
  /**
   * Timeout of one exchange request, and separately of reading the subject token for it (default
   * 10,000 ms each); a call's own deadline bounds the whole.
   */
  exchangeTimeoutMs?: number;
}

/**
 * IAM authentication: exchanges the subject token (RFC 8693) for an OpenFaaS access token and
 * caches it. One instance shares one in-flight exchange between every caller and every client that
 * uses it. Also a {@link TokenSource} of access tokens.
 */
export class TokenAuth implements ClientAuth {
  readonly #cache: TokenCache;
  readonly #options: TokenAuthOptions;
  readonly #functionAuths = new Map<string, TokenAuth>();
  #credential: { token: string; credential: Credential } | undefined;

  constructor(options: TokenAuthOptions) {
    checkTimeout(options.exchangeTimeoutMs, "exchangeTimeoutMs", false);
    checkTimeout(options.maxLifetimeMs, "maxLifetimeMs", false);
    this.#options = options;
    const timeoutMs = options.exchangeTimeoutMs ?? 10_000;
    this.#cache = new TokenCache(async () => {
      const signal = AbortSignal.timeout(timeoutMs);
      let subjectToken: string;
      try {
        subjectToken = await options.source.token(signal);
      } catch (error) {
        // A custom source's error could quote what it read; only OpenFaaS errors pass through as they are.
        throw error instanceof OpenFaaSError ? error : new TokenSourceError("token source failed", withheldCause(error));
      }
      const exchanged = await exchangeToken({
        tokenURL: options.tokenURL,
        subjectToken,
        scope: options.scope,
        audience: options.audience,
        timeoutMs,
        assumedLifetimeMs: options.assumedLifetimeMs,
        maxLifetimeMs: options.maxLifetimeMs,
      });
      return { value: exchanged.accessToken, lifetimeMs: exchanged.expiresInMs };
    }, options);
  }

  /** An access token (cached, refreshed as needed). */
  async token(signal?: AbortSignal): Promise<string> {
    return (await this.#cache.get(signal)).value;
  }

  /** A Bearer credential for the next request. */
  async authorize(signal?: AbortSignal): Promise<Credential> {
    return this.peek() ?? this.#toCredential(await this.#cache.get(signal));
  }

  /** The cached credential when it is usable right now, without awaiting anything (may start a background refresh). */
  peek(): Credential | undefined {
    const cached = this.#cache.peek();
    return cached === undefined ? undefined : this.#toCredential(cached);
  }

  /** Discards the cached token only if it was obtained before `issuedBefore`. */
  invalidate(issuedBefore: number): void {
    this.#cache.invalidate(issuedBefore);
  }

  /** The clock of this auth. */
  now(): number {
    return this.#cache.now();
  }

  /** Exchange counters (for tests and benchmarks). */
  get stats(): TokenCacheStats {
    return this.#cache.stats;
  }

  /**
   * The function-token auth for `<name>.<namespace>`: exchanges this auth's access token with
   * `scope=function`, `audience=<namespace>:<name>`; cached per function, same lifecycle options.
   */
  forFunction(name: string, namespace: string): TokenAuth {
    const key = `${name}.${namespace}`;
    let auth = this.#functionAuths.get(key);
    if (!auth) {
      auth = new TokenAuth({ ...this.#options, source: this, scope: "function", audience: `${namespace}:${name}` });
      this.#functionAuths.set(key, auth);
    }
    return auth;
  }

  #toCredential(cached: { value: string; issuedAt: number }): Credential {
    const memo = this.#credential;
    if (memo && memo.token === cached.value) return memo.credential;
    const credential: Credential = new HiddenCredential(`Bearer ${cached.value}`, cached.issuedAt);
    this.#credential = { token: cached.value, credential };
    return credential;
  }
}

/** HTTP Basic authentication with an admin credential (no exchange, no refresh). */
export class BasicAuth implements ClientAuth {
  readonly #credential: Credential;
  /** The user name (not secret). */
  readonly username: string;
  constructor(username: string, password: string) {
    this.username = username;
    this.#credential = new HiddenCredential(`Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`);
  }
  /** The constant Basic credential. */
  authorize(): Promise<Credential> {
    return Promise.resolve(this.#credential);
  }
  /** The constant Basic credential, synchronously. */
  peek(): Credential {
    return this.#credential;
  }
}
