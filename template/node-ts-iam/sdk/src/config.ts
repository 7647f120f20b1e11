/** Configuration from the environment a function (or any in-cluster program) runs with. */
import { TokenAuth } from "./auth.js";
import { ServiceAccountTokenSource, tokenFileFromEnv } from "./sources.js";

/** In-cluster gateway URL, used when `OPENFAAS_URL` is unset. */
const DEFAULT_GATEWAY_URL = "http://gateway.openfaas:8080";

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
  return { gatewayURL, tokenURL, tokenFile: tokenFileFromEnv(env) };
}

const shared = new Map<string, TokenAuth>();

/**
 * @internal The process-wide {@link TokenAuth} for a token file and token URL (with default
 * lifecycle options), so that every client built from the same environment shares one cache and
 * one in-flight exchange.
 */
export function sharedServiceAccountAuth(config: Pick<EnvConfig, "tokenURL" | "tokenFile">): TokenAuth {
  const key = `${config.tokenURL}\n${config.tokenFile}`;
  let auth = shared.get(key);
  if (!auth) {
    auth = new TokenAuth({ tokenURL: config.tokenURL, source: new ServiceAccountTokenSource({ path: config.tokenFile }) });
    shared.set(key, auth);
  }
  return auth;
}
