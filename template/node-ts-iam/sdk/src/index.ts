/**
 * `@node-ts-iam/sdk`: everything a node-ts-iam handler imports, by one bare specifier: the handler
 * types, an OpenFaaS gateway client that authenticates with the workload's own service account
 * token (RFC 8693 token exchange), and a small HTTP API kit (router, request validation, JSON error
 * answers) for handlers that serve an API. Importing it loads no HTTP library and does no I/O.
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

// HTTP API kit for handlers: routing, request validation, JSON error answers (see ./api/).
export { json, JSON_CONTENT_TYPE, type Api, type ApiRequest, type ApiResponse } from "./api/message.js";
export { ApiError, type CommonErrorCode, type RequestErrorCode, type GatewayErrorCode } from "./api/errors.js";
export { fromGatewayError, hasErrorCode } from "./api/gateway-errors.js";
export { gatewayStatusError } from "./api/test-doubles.js";
export { createRouter, type Route, type RouteHandler, type Params } from "./api/router.js";
export {
  isDnsLabel,
  requireName,
  jsonBody,
  isJsonMediaType,
  headerValue,
  onlyKeys,
  optionalString,
  optionalStringMap,
  optionalStringArray,
  queryParam,
  intQuery,
  type JsonObject,
  type JsonBodyOptions,
} from "./api/request.js";
export { withErrorAnswers, serveApi, type ErrorAnswerOptions } from "./api/serve.js";
