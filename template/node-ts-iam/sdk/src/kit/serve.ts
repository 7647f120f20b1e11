/**
 * Turning an API into answers: {@link serveApi} makes it a template handler, the one place where a
 * thrown error becomes its JSON answer; {@link withErrorAnswers} is that same layer without the
 * handler (for a unit test that calls the API with a plain request).
 */
import type { Handler } from "../function-types.js";
import type { ApiError } from "./api-error.js";
import { fromGatewayError } from "./gateway-answers.js";
import type { Api, ApiRequest } from "./message.js";

/** Options of {@link withErrorAnswers} and {@link serveApi}. */
export interface ErrorAnswerOptions {
  /** Name at the start of each failure log line (default: env `OPENFAAS_NAME`, else `api`). */
  service?: string;
  /**
   * Maps a thrown value to its answer (default {@link fromGatewayError}). Use it to unwrap an
   * API's own wrapper errors or to add details; whatever it returns is sent as it is.
   */
  toApiError?: (error: unknown) => ApiError;
  /** Where the one line per server-side (5xx) failure goes (default: stderr). */
  log?: (line: string) => void;
}

/**
 * Wraps an API so that it never throws: a thrown {@link ApiError} answers as itself, an SDK error as
 * its gateway answer, anything else 500 `INTERNAL` without internals. Each 5xx answer is logged as
 * one line with method, path, status, code and the cause's `code`, never bodies, headers or tokens.
 * {@link serveApi} applies it once; an API wrapped here and served again would never reach the outer
 * layer, so wrap only to call an API without a server (unit tests).
 */
export function withErrorAnswers(api: Api, options: ErrorAnswerOptions = {}): Api {
  const service = options.service ?? process.env["OPENFAAS_NAME"] ?? "api";
  const toApiError = options.toApiError ?? fromGatewayError;
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  return async (request) => {
    try {
      return await api(request);
    } catch (error) {
      const apiError = toApiError(error);
      if (apiError.status >= 500) log(failureLine(service, request, apiError, error));
      return apiError.toResponse();
    }
  };
}

/**
 * Makes an API a template {@link Handler}: the answer's status, headers and JSON body are sent
 * through the handler context, and errors are answered as by {@link withErrorAnswers}.
 *
 * @example
 * ```ts
 * import { createRouter, json, serveApi } from "@node-ts-iam/sdk/kit";
 * const api = createRouter([{ pattern: "/hello/:name", methods: { GET: async (_req, p) => json(200, { hi: p["name"] }) } }]);
 * export default serveApi(api);
 * ```
 */
export function serveApi(api: Api, options: ErrorAnswerOptions = {}): Handler {
  const answer = withErrorAnswers(api, options);
  return async (event, context) => {
    const { status, headers, body } = await answer(event);
    // succeed() already sends objects, numbers and booleans as JSON, but a string as it is and null
    // as an empty body: those two are serialised here so that every answer body is JSON.
    context.status(status).headers(headers).succeed(typeof body === "string" || body === null ? JSON.stringify(body) : body);
  };
}

/** The failure log line; the path is cut short so a huge URL cannot flood the log. */
function failureLine(service: string, request: ApiRequest, apiError: ApiError, error: unknown): string {
  return `${service}: ${request.method} ${request.path.slice(0, 200)} -> ${apiError.status} ${apiError.code} (cause ${causeCode(error)})`;
}

/** The `code` of the error, else of its `cause` (a wrapper error's), else `unknown`. */
function causeCode(error: unknown): string {
  for (let current = error, depth = 0; depth < 2 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return "unknown";
}
