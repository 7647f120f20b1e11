/**
 * `@node-ts-iam/sdk`: everything a node-ts-iam handler imports, by one bare specifier: the handler
 * types, and an OpenFaaS gateway client that authenticates with the workload's own service account
 * token (RFC 8693 token exchange). Importing it loads no HTTP library and does no I/O.
 * @packageDocumentation
 */
export type * from "./function-types.js";

export { gatewayClient } from "./default-client.js";
export { Client, type ClientOptions, type FromEnvOptions } from "./client.js";
export type { CallOptions, QueryValue } from "./request.js";
export { TokenAuth, BasicAuth, type ClientAuth, type Credential, type TokenAuthOptions } from "./auth.js";
export {
  ServiceAccountTokenSource,
  StaticTokenSource,
  EnvTokenSource,
  ClientCredentialsTokenSource,
  DEFAULT_TOKEN_MOUNT_PATH,
  TOKEN_FILE_NAME,
  type TokenSource,
  type ServiceAccountTokenSourceOptions,
  type ClientCredentialsOptions,
} from "./sources.js";
export { exchangeToken, TOKEN_EXCHANGE_GRANT, ID_TOKEN_TYPE, type ExchangeTokenOptions, type ExchangedToken } from "./exchange.js";
export type { Clock, TokenLifecycleOptions, TokenCacheStats, CachedToken } from "./token.js";
export { configFromEnv, sharedServiceAccountAuth, DEFAULT_GATEWAY_URL, type EnvConfig } from "./config.js";
export type { RetryOptions } from "./retry.js";
export type { ClientHooks, BeforeRequestContext, AfterResponseContext, BeforeRetryContext } from "./hooks.js";
export {
  OpenFaaSError,
  HttpStatusError,
  UnauthorizedError,
  ForbiddenError,
  NotFoundError,
  ConflictError,
  UnexpectedStatusError,
  OAuthError,
  NetworkError,
  TimeoutError,
  TokenSourceError,
  InvalidResponseError,
  InvalidArgumentError,
  type OpenFaaSErrorCode,
  type RequestSite,
} from "./errors.js";
export { SafeCause } from "./redact.js";
export type * from "./types.js";
