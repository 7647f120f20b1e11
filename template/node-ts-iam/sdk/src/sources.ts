/**
 * Subject-token sources: where the identity that gets exchanged comes from.
 */
import { open } from "node:fs/promises";
import { join } from "node:path";
import { checkTimeout, TokenSourceError } from "./errors.js";
import { parseTokenResponse, postTokenForm } from "./exchange.js";
import { decodeJwtPayload, payloadExpiresAt } from "./jwt.js";
import { safeCause } from "./redact.js";
import { TokenCache, type Clock, type TokenLifecycleOptions } from "./token.js";

/** Anything that can produce a bearer token on demand. */
export interface TokenSource {
  /** Resolves a current token; rejects with {@link TokenSourceError} (or an HTTP error for remote sources). */
  token(signal?: AbortSignal): Promise<string>;
}

/** Default directory of the projected service account token (`token_mount_path`). */
export const DEFAULT_TOKEN_MOUNT_PATH = "/var/secrets/tokens";
/** File name of the projected token inside that directory. */
export const TOKEN_FILE_NAME = "openfaas-token";

/** Options of {@link ServiceAccountTokenSource}. */
export interface ServiceAccountTokenSourceOptions {
  /**
   * Full path of the token file; wins over `directory`. Use
   * `/var/run/secrets/kubernetes.io/serviceaccount/token` for the automounted token.
   */
  path?: string;
  /** Directory holding `openfaas-token` (default: env `token_mount_path`, else `/var/secrets/tokens`). */
  directory?: string;
  /** Environment to read `OPENFAAS_TOKEN_FILE` / `token_mount_path` from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Time source for the expiry check of the last good token (default `Date.now`). */
  clock?: Clock;
}

/**
 * The pod's projected Kubernetes service account token. Reads the visible path on every call, so
 * the kubelet's atomic `..data` symlink swap is always seen whole; keeps serving the last good token
 * while a read fails, as long as that token has not expired.
 */
export class ServiceAccountTokenSource implements TokenSource {
  /** The file this source reads. */
  readonly path: string;
  readonly #clock: Clock;
  #lastGood: { value: string; expiresAt: number | undefined } | undefined;

  constructor(options: ServiceAccountTokenSourceOptions = {}) {
    this.path = options.path ?? tokenFileFromEnv(options.env ?? process.env, options.directory);
    this.#clock = options.clock ?? Date.now;
  }

  /** Reads, trims and checks the token file. */
  async token(): Promise<string> {
    let failure: TokenSourceError | undefined;
    // A read racing the deletion of the previous `..<timestamp>` directory can fail once; the
    // visible path points at the new one by then, so an immediate re-read settles it.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const read = await this.#readOnce();
        this.#lastGood = read;
        return read.value;
      } catch (error) {
        failure = error instanceof TokenSourceError ? error : new TokenSourceError(`cannot read token file ${this.path}`, safeCause(error));
        if (!isTransient(error)) break;
      }
    }
    const last = this.#lastGood;
    if (last && last.expiresAt !== undefined && last.expiresAt > this.#clock()) return last.value;
    throw failure ?? new TokenSourceError(`cannot read token file ${this.path}`);
  }

  /** One read of the file: the trimmed token and its `exp` (decoded once, here). */
  async #readOnce(): Promise<{ value: string; expiresAt: number | undefined }> {
    let raw: string | undefined;
    try {
      raw = await readAtMost(this.path, TOKEN_FILE_BYTES);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === "ENOENT") {
        throw new TokenSourceError(
          `token file ${this.path} not found (mount a projected service account token there, or set token_mount_path / OPENFAAS_TOKEN_FILE)`,
          safeCause(error),
        );
      }
      throw new TokenSourceError(`cannot read token file ${this.path}`, safeCause(error));
    }
    if (raw === undefined) throw new TokenSourceError(`token file ${this.path} is larger than ${TOKEN_FILE_BYTES} bytes`);
    const value = raw.trim();
    if (value === "") throw new TokenSourceError(`token file ${this.path} is empty`);
    const payload = decodeJwtPayload(value);
    if (payload === undefined) throw new TokenSourceError(`token file ${this.path} does not hold a JWT`);
    return { value, expiresAt: payloadExpiresAt(payload) };
  }
}

/** Largest token file read (64 KiB): a projected token is 1-2 KiB; a larger file (or a device) is not one. */
const TOKEN_FILE_BYTES = 64 * 1024;

/** The file's text, or `undefined` when it holds more than `limitBytes` (it is never read further). */
async function readAtMost(path: string, limitBytes: number): Promise<string | undefined> {
  // One open: a kubelet `..data` swap after it cannot mix two tokens in one read.
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(limitBytes + 1);
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, size, buffer.length - size, null);
      if (bytesRead === 0) return buffer.toString("utf8", 0, size);
      size += bytesRead;
      if (size > limitBytes) return undefined;
    }
  } finally {
    await handle.close();
  }
}

function isTransient(error: unknown): boolean {
  const code = (error as { cause?: { code?: unknown } }).cause?.code;
  return code === "ENOENT" || code === "ESTALE" || code === "EAGAIN";
}

/**
 * @internal The token file the environment names: `OPENFAAS_TOKEN_FILE`, else `openfaas-token` in
 * `directory`, else in `token_mount_path`, else in `/var/secrets/tokens`. Values are trimmed; an
 * empty one counts as unset.
 */
export function tokenFileFromEnv(env: Readonly<Record<string, string | undefined>>, directory?: string): string {
  return nonEmpty(env.OPENFAAS_TOKEN_FILE) ?? join(directory ?? nonEmpty(env.token_mount_path) ?? DEFAULT_TOKEN_MOUNT_PATH, TOKEN_FILE_NAME);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value?.trim() || undefined;
}

/** A fixed token, e.g. one a test or a CLI obtained elsewhere. */
export class StaticTokenSource implements TokenSource {
  readonly #token: string;
  constructor(token: string) {
    if (typeof token !== "string" || token.trim() === "") throw new TokenSourceError("static token is empty");
    this.#token = token.trim();
  }
  /** Resolves the fixed token. */
  token(): Promise<string> {
    return Promise.resolve(this.#token);
  }
}

/** A token read from an environment variable at every call (so a rotated value is picked up). */
export class EnvTokenSource implements TokenSource {
  /** The variable read. */
  readonly variable: string;
  readonly #env: Readonly<Record<string, string | undefined>>;
  constructor(variable: string, env: Readonly<Record<string, string | undefined>> = process.env) {
    this.variable = variable;
    this.#env = env;
  }
  /** Resolves the variable's trimmed value; rejects when it is unset or empty. */
  token(): Promise<string> {
    const value = this.#env[this.variable]?.trim();
    if (!value) return Promise.reject(new TokenSourceError(`environment variable ${this.variable} is unset or empty`));
    return Promise.resolve(value);
  }
}

/** Options of {@link ClientCredentialsTokenSource}. */
export interface ClientCredentialsOptions extends TokenLifecycleOptions {
  /** The IdP's token endpoint. */
  tokenURL: string | URL;
  /** OAuth client id. */
  clientId: string;
  /** OAuth client secret (sent in the form body, `client_secret_post`). */
  clientSecret: string;
  /** Scopes, space-joined (e.g. `openid`). */
  scope?: string | readonly string[];
  /** Audience to request, when the IdP supports it. */
  audience?: string;
  /** Which token of the response to use (default `access_token`, as the Go SDK). */
  use?: "id_token" | "access_token";
  /** Timeout of each token request in milliseconds (default 10,000). */
  timeoutMs?: number;
  /** Lifetime assumed when the response gives none, in milliseconds (default 60,000). */
  assumedLifetimeMs?: number;
  /** Ceiling of a token's lifetime in milliseconds, whatever the response says (default 86,400,000 = 24 h). */
  maxLifetimeMs?: number;
}

/**
 * OAuth 2.0 client credentials against an IdP (parity with the Go SDK's
 * `ClientCredentialsTokenSource`), cached with the same lifecycle rules as {@link TokenAuth}.
 */
export class ClientCredentialsTokenSource implements TokenSource {
  readonly #cache: TokenCache;

  constructor(options: ClientCredentialsOptions) {
    if (!options.clientId || !options.clientSecret) throw new TokenSourceError("client credentials need clientId and clientSecret");
    checkTimeout(options.timeoutMs, "timeoutMs", false);
    checkTimeout(options.maxLifetimeMs, "maxLifetimeMs", false);
    const clientSecret = options.clientSecret;
    this.#cache = new TokenCache(async () => {
      const form = new URLSearchParams({ grant_type: "client_credentials", client_id: options.clientId, client_secret: clientSecret });
      const scope = typeof options.scope === "string" ? options.scope : (options.scope ?? []).join(" ");
      if (scope) form.set("scope", scope);
      if (options.audience) form.set("audience", options.audience);
      const res = await postTokenForm(options.tokenURL, form, { timeoutMs: options.timeoutMs });
      const parsed = parseTokenResponse(res.body, res, options.use ?? "access_token", options);
      return { value: parsed.accessToken, lifetimeMs: parsed.expiresInMs };
    }, options);
  }

  /** A cached or freshly requested token. */
  async token(signal?: AbortSignal): Promise<string> {
    return (await this.#cache.get(signal)).value;
  }
}
