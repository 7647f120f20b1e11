/**
 * `@node-ts-iam/sdk/kit`: the HTTP API kit for handlers that serve a small JSON API. A router
 * ({@link createRouter}), request readers that either return a typed value or throw a 4xx
 * {@link ApiError}, the mapping of the gateway client's errors to answers ({@link fromGatewayError}),
 * and {@link serveApi}, which makes an API a template handler whose every error answers
 * `{"code", "message", ...details}`. Importing it loads no HTTP library and does no I/O.
 * @packageDocumentation
 */
export { json, type Api, type ApiRequest, type ApiResponse } from "./kit/message.js";
export { createRouter, type Route, type RouteHandler, type Params } from "./kit/routes.js";
export {
  isDnsLabel,
  requireName,
  jsonBody,
  onlyKeys,
  optionalString,
  optionalStringMap,
  optionalStringArray,
  queryParam,
  intQuery,
  type JsonObject,
  type JsonBodyOptions,
} from "./kit/validators.js";
export { ApiError, type CommonErrorCode } from "./kit/api-error.js";
export { fromGatewayError, hasErrorCode } from "./kit/gateway-answers.js";
export { serveApi, withErrorAnswers, type ErrorAnswerOptions } from "./kit/serve.js";
export { gatewayStatusError } from "./kit/test-doubles.js";
