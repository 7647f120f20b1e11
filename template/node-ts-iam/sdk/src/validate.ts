/** Strict checks of gateway response bodies: a wrong shape is an InvalidResponseError, not a crash later. */
import { InvalidResponseError, type RequestSite } from "./errors.js";

/** @internal Context of a check: where the body came from. */
export interface Where {
  site: RequestSite;
  status: number;
}

type Json = Record<string, unknown>;

/** @internal Parses a read answer's body as JSON (the answer is also the `Where` of later checks) or fails with InvalidResponseError. */
export function parseJsonBody(res: Where & { readonly body: Buffer }): unknown {
  try {
    return JSON.parse(res.body.toString("utf8"));
  } catch {
    throw new InvalidResponseError(res.site, res.status, "body is not JSON");
  }
}

/** @internal Whether `value` is a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** @internal `text` parsed as a JSON object (not an array, not null), or `undefined`. */
export function parseJsonObject(text: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isJsonObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** @internal */
export function expectObject(value: unknown, where: Where, what: string): Json {
  if (!isJsonObject(value)) throw fail(where, `${what} is not an object`);
  return value;
}

/** @internal */
export function expectArray(value: unknown, where: Where, what: string): unknown[] {
  if (!Array.isArray(value)) throw fail(where, `${what} is not an array`);
  return value;
}

/** @internal A required string field. */
export function str(obj: Json, key: string, where: Where, what: string): string {
  const v = obj[key];
  if (typeof v !== "string") throw fail(where, `${what}.${key} is not a string`);
  return v;
}

/** @internal Checks optional fields' types in place (absent and null pass). */
export function optional(obj: Json, spec: Record<string, "string" | "number" | "boolean" | "strings" | "map" | "object">, where: Where, what: string): void {
  for (const [key, kind] of Object.entries(spec)) {
    const v = obj[key];
    if (v === undefined || v === null) continue;
    const ok =
      kind === "strings"
        ? Array.isArray(v) && v.every((s) => typeof s === "string")
        : kind === "map"
          ? typeof v === "object" && !Array.isArray(v) && Object.values(v as Json).every((s) => typeof s === "string")
          : kind === "object"
            ? typeof v === "object" && !Array.isArray(v)
            : typeof v === kind && (kind !== "number" || Number.isFinite(v));
    if (!ok) throw fail(where, `${what}.${key} has the wrong type`);
  }
}

function fail(where: Where, problem: string): InvalidResponseError {
  return new InvalidResponseError(where.site, where.status, problem);
}

const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** @internal Whether `name` is an RFC 1123 label (function, namespace and secret names). */
export function isLabel(name: string): boolean {
  return typeof name === "string" && name.length <= 63 && RFC1123_LABEL.test(name);
}

/** @internal An array of strings. */
export function expectStrings(value: unknown, where: Where, what: string): string[] {
  const list = expectArray(value, where, what);
  list.forEach((v, i) => {
    if (typeof v !== "string") throw fail(where, `${what}[${i}] is not a string`);
  });
  return list as string[];
}
