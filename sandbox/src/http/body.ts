import type { IncomingMessage } from "node:http";
import { firstTooDeep, MAX_JSON_DEPTH } from "../schema/json-depth.js";
import { HttpError, httpError } from "./errors.js";

/** Default request-body limits (bytes): form bodies are small; JSON API bodies hold function specs and secrets. */
export const BODY_LIMITS = { form: 64 * 1024, json: 1024 * 1024, invoke: 10 * 1024 * 1024 } as const;

/**
 * Reads the whole request body, refusing more than `limit` bytes with 413 (the rest of the upload
 * is drained and discarded so the connection can answer). `makeError` lets /oauth/token answer an OAuth body.
 */
export async function readBody(
  req: IncomingMessage,
  limit: number,
  makeError: (message: string) => HttpError = (m) => httpError(413, m),
): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw makeError(`request body exceeds the limit of ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw makeError(`request body exceeds the limit of ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Reads and parses a JSON object body; anything else (including nesting deeper than {@link MAX_JSON_DEPTH}) is a 400 naming the problem. */
export async function readJsonObject(req: IncomingMessage, limit: number = BODY_LIMITS.json): Promise<Record<string, unknown>> {
  const raw = await readBody(req, limit);
  if (raw.length === 0) throw httpError(400, "request body is empty; expected a JSON object");
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString("utf8"));
  } catch {
    // The parser's message quotes the input, which may hold a credential: describe, never echo.
    throw httpError(400, "request body is not valid JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw httpError(400, "request body must be a JSON object");
  }
  const deep = firstTooDeep(parsed);
  if (deep !== undefined) throw httpError(400, `request body nests deeper than ${MAX_JSON_DEPTH} levels at ${deep}`, { field: deep });
  return parsed as Record<string, unknown>;
}
