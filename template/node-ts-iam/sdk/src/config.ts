/** Configuration from the environment a function (or any in-cluster program) runs with. */
import { join } from "node:path";
import { TokenAuth, type TokenAuthOptions } from "./auth.js";
import { DEFAULT_TOKEN_MOUNT_PATH, ServiceAccountTokenSource, TOKEN_FILE_NAME } from "./sources.js";

/** In-cluster gateway URL, used when `OPENFAAS_URL` is unset. */
export const DEFAULT_GATEWAY_URL = "http://gateway.openfaas:8080";

/** What {@link configFromEnv} resolves. */
export interface EnvConfig {
  /** `OPENFAAS_URL`, default `http://gateway.openfaas:8080`. */
  gatewayURL: string;
  /** `OPENFAAS_TOKEN_URL`, default `<gatewayURL>/oauth/token`. */
  tokenURL: string;
  /** `OPENFAAS_TOKEN_FILE`, default `<token_mount_path or /var/secrets/tokens>/openfaas-token`. */
  tokenFile: string;
}

/** Reads the SDK's environment variables (pure: no I/O). */
export function configFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): EnvConfig {
  const gatewayURL = (env.OPENFAAS_URL?.trim() || DEFAULT_GATEWAY_URL).replace(/\/+$/, "");
  const tokenURL = env.OPENFAAS_TOKEN_URL?.trim() || `${gatewayURL}/oauth/token`;
  const tokenFile = env.OPENFAAS_TOKEN_FILE?.trim() || join(env.token_mount_path?.trim() || DEFAULT_TOKEN_MOUNT_PATH, TOKEN_FILE_NAME);
  return { gatewayURL, tokenURL, tokenFile };
}

const shared = new Map<string, TokenAuth>();

/**
 * The process-wide {@link TokenAuth} for a token file and token URL, so that every client built from
 * the same environment shares one cache and one in-flight exchange.
 */
export function sharedServiceAccountAuth(
  config: Pick<EnvConfig, "tokenURL" | "tokenFile">,
  options: Omit<TokenAuthOptions, "source" | "tokenURL"> = {},
): TokenAuth {
  const key = `${config.tokenURL}\n${config.tokenFile}`;
  let auth = shared.get(key);
  if (!auth) {
    auth = new TokenAuth({ ...options, tokenURL: config.tokenURL, source: new ServiceAccountTokenSource({ path: config.tokenFile }) });
    shared.set(key, auth);
  }
  return auth;
}
