/**
 * `@node-ts-iam/sdk`: the handler types of the node-ts-iam template, and an OpenFaaS gateway client
 * that authenticates with the workload's own service account token (RFC 8693 token exchange):
 * auth and token sources, the exchange itself, typed errors and the gateway's models. The HTTP API
 * kit for handlers (router, request validators, JSON error answers) is `@node-ts-iam/sdk/kit`.
 * Importing either loads no HTTP library and does no I/O.
 * @packageDocumentation
 */

// The handler contract (node22's `(event, context, callback)`, typed).
export type { Handler, FunctionEvent, FunctionContext, FunctionHeaders, FunctionQuery } from "./function-types.js";

// The gateway client.
export { gatewayClient } from "./default-client.js";
export { Client, type ClientOptions, type FromEnvOptions } from "./client.js";
export type { CallOptions } from "./request.js";
export type { RetryOptions } from "./retry.js";
export type { ClientHooks, BeforeRequestContext, AfterResponseContext, BeforeRetryContext } from "./hooks.js";
export { setTransport } from "./http.js";

// Authentication, token sources and the exchange.
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
export { exchangeToken, type ExchangeTokenOptions, type ExchangedToken } from "./exchange.js";
export { configFromEnv } from "./config.js";

// Errors: one family with stable `ERR_*` codes.
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
} from "./errors.js";

// The gateway's models.
export type {
  FunctionDeployment,
  FunctionStatus,
  FunctionResources,
  Secret,
  SecretDescription,
  NamespaceInfo,
  GatewayInfo,
  LogMessage,
  LogsRequest,
  InvokeRequest,
  InvokeResult,
} from "./types.js";
