import {
  ApiError,
  createRouter,
  isDnsLabel,
  json,
  jsonBody,
  onlyKeys,
  withErrorAnswers,
  type Api,
  type ApiRequest,
  type CommonErrorCode,
  type JsonObject,
} from "@node-ts-iam/sdk";
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

/**
 * Creates the janitor API. `POST /` sweeps (the cron-connector invokes it so, with an empty
 * body); the body may narrow the run: `{namespaces?: string[], dryRun?: boolean}`. `GET /` is a
 * dry run: what a sweep would delete now.
 */
export function createJanitor(options: JanitorOptions): Api {
  const now = options.now ?? (() => new Date());

  const runOptions = (request: ApiRequest): { namespaces: string[]; dryRun: boolean } => {
    // An empty body (the cron-connector's) means "defaults"; any body must still be JSON or text.
    const body = jsonBody(request, { emptyAsObject: true });
    onlyKeys(body, ["namespaces", "dryRun"]);
    return { namespaces: namespacesOf(body, options.namespaces), dryRun: dryRunOf(body) };
  };

  const route = createRouter([
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

  return withErrorAnswers(route, { service: "preview-janitor" });
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

/** Parses `JANITOR_NAMESPACES` (comma/space separated names); invalid or empty throws. */
export function namespacesFromEnv(value: string | undefined): string[] {
  const names = (value ?? "").split(/[\s,]+/).filter(Boolean);
  if (names.length === 0) throw new Error("JANITOR_NAMESPACES must name at least one namespace");
  for (const name of names) if (!isDnsLabel(name)) throw new Error(`JANITOR_NAMESPACES: "${name}" is not a namespace name`);
  return names;
}
