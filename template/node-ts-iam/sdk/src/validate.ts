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

/** @internal The type an optional field must have when present. */
export type FieldKind = "string" | "number" | "boolean" | "strings" | "map" | "object";

/** @internal A compiled list of optional fields and their checks (see {@link fields}). */
export type Fields = ReadonlyArray<readonly [key: string, check: (value: unknown) => boolean]>;

const FIELD_CHECKS: Readonly<Record<FieldKind, (value: unknown) => boolean>> = {
  string: (v) => typeof v === "string",
  number: (v) => typeof v === "number" && Number.isFinite(v),
  boolean: (v) => typeof v === "boolean",
  strings: (v) => {
    if (!Array.isArray(v)) return false;
    for (const item of v) if (typeof item !== "string") return false;
    return true;
  },
  map: (v) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
    for (const key in v) if (typeof (v as Json)[key] !== "string") return false;
    return true;
  },
  object: (v) => typeof v === "object" && !Array.isArray(v),
};

/** @internal Compiles a field spec once (at module load), so that checking a body allocates nothing. */
export function fields(spec: Record<string, FieldKind>): Fields {
  return Object.entries(spec).map(([key, kind]) => [key, FIELD_CHECKS[kind]] as const);
}

/** @internal Checks optional fields' types in place (absent and null pass). */
export function optional(obj: Json, spec: Fields, where: Where, what: string): void {
  for (const [key, check] of spec) {
    const v = obj[key];
    if (v !== undefined && v !== null && !check(v)) throw fail(where, `${what}.${key} has the wrong type`);
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
