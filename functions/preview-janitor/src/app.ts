import {
  ApiError,
  createRouter,
  isDnsLabel,
  json,
  jsonBody,
  onlyKeys,
  type Api,
  type ApiRequest,
  type CommonErrorCode,
  type ErrorAnswerOptions,
  type JsonObject,
} from "@node-ts-iam/sdk/kit";
import type { JanitorGateway } from "./gateway.js";
import { sweep } from "./sweep.js";

/** The janitor's error codes: the kit's, plus its own. */
export type ErrorCode = CommonErrorCode | "NAMESPACE_NOT_ALLOWED";

/** Settings and collaborators of the janitor. */
export interface JanitorOptions {
  gateway: () => JanitorGateway;
  /** The namespaces swept (its IAM policy must cover exactly these). */
  namespaces: readonly string[];
  /** The clock (tests pin it). */
  now?: () => Date;
}

/** How the janitor's errors are answered: the kit's mapping, logged as `preview-janitor`. */
export const errorAnswers: ErrorAnswerOptions = { service: "preview-janitor" };

/**
 * Creates the janitor API: its router. `POST /` sweeps (the cron-connector invokes it so, with an
 * empty body); the body may narrow the run: `{namespaces?: string[], dryRun?: boolean}`. `GET /` is
 * a dry run: what a sweep would delete now. It throws its errors; `serveApi(api, errorAnswers)`
 * (handler.ts) answers them.
 */
export function createJanitor(options: JanitorOptions): Api {
  const now = options.now ?? (() => new Date());

  const runOptions = (request: ApiRequest): { namespaces: string[]; dryRun: boolean } => {
    // An empty body (the cron-connector's) means "defaults"; any other body must be JSON.
    const body = jsonBody(request, { emptyAsObject: true });
    onlyKeys(body, ["namespaces", "dryRun"]);
    return { namespaces: namespacesOf(body, options.namespaces), dryRun: dryRunOf(body) };
  };

  return createRouter([
    {
      pattern: "/",
      methods: {
        GET: async () => json(200, await sweep(options.gateway(), options.namespaces, now(), true)),
        POST: async (request) => {
          const run = runOptions(request);
          return json(200, await sweep(options.gateway(), run.namespaces, now(), run.dryRun));
        },
      },
    },
  ]);
}

function namespacesOf(body: JsonObject, configured: readonly string[]): string[] {
  const value = body["namespaces"];
  if (value === undefined) return [...configured];
  if (!Array.isArray(value) || value.length === 0 || value.length > 64 || !value.every(isDnsLabel)) {
    throw new ApiError<ErrorCode>(400, "INVALID_BODY", "namespaces must be a non-empty array of namespace names", { field: "namespaces" });
  }
  const outside = value.filter((ns) => !configured.includes(ns));
  if (outside.length > 0) {
    throw new ApiError<ErrorCode>(403, "NAMESPACE_NOT_ALLOWED", `not a namespace of this janitor: ${outside.slice(0, 5).join(", ")}`, {
      allowed: configured,
    });
  }
  return [...new Set(value)];
}

function dryRunOf(body: JsonObject): boolean {
  const value = body["dryRun"];
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw new ApiError<ErrorCode>(400, "INVALID_BODY", "dryRun must be a boolean", { field: "dryRun" });
  return value;
}
