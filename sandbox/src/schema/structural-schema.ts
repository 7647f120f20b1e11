/**
 * The subset of OpenAPI v3 / JSON Schema the sandbox validates with: enough for the Kubernetes
 * structural schemas of the IAM CRDs and for the gateway API's request and response bodies.
 */
export interface StructuralSchema {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  properties?: Record<string, StructuralSchema>;
  required?: string[];
  items?: StructuralSchema;
  additionalProperties?: StructuralSchema | boolean;
  nullable?: boolean;
  /** Any of these schemas must also hold (used for the OpenAPI `allOf` composition). */
  allOf?: StructuralSchema[];
  minimum?: number;
  pattern?: string;
  /** Longest string allowed (UTF-16 code units, as JSON Schema counts characters). */
  maxLength?: number;
  /** Most items an array may hold. */
  maxItems?: number;
  /** Most properties an object may hold. */
  maxProperties?: number;
  description?: string;
}

/** One validation failure: a JSON path (`spec.statement[0].action`) and what is wrong there. */
export interface SchemaViolation {
  path: string;
  message: string;
}

/**
 * Validates `value` against `schema`. Unknown properties are allowed unless `additionalProperties`
 * is `false` or a schema (as Kubernetes prunes rather than rejects them, the CRD schemas leave it open).
 */
export function validateStructure(value: unknown, schema: StructuralSchema, path = ""): SchemaViolation[] {
  const out: SchemaViolation[] = [];
  const at = (suffix: string) => (path === "" ? suffix.replace(/^\./, "") : `${path}${suffix}`);
  if (value === null || value === undefined) {
    if (value === null && schema.nullable) return out;
    out.push({ path: path || "(root)", message: value === null ? "must not be null" : "is missing" });
    return out;
  }
  for (const part of schema.allOf ?? []) out.push(...validateStructure(value, part, path));
  switch (schema.type) {
    case "object":
      if (typeof value !== "object" || Array.isArray(value)) {
        out.push({ path: path || "(root)", message: `must be an object, got ${describe(value)}` });
        return out;
      }
      break;
    case "array":
      if (!Array.isArray(value)) {
        out.push({ path: path || "(root)", message: `must be an array, got ${describe(value)}` });
        return out;
      }
      if (schema.maxItems !== undefined && value.length > schema.maxItems) {
        out.push({ path: path || "(root)", message: `must have at most ${schema.maxItems} items` });
        return out;
      }
      if (schema.items) value.forEach((item, i) => out.push(...validateStructure(item, schema.items!, `${path}[${i}]`)));
      return out;
    case "string":
      if (typeof value !== "string") out.push({ path: path || "(root)", message: `must be a string, got ${describe(value)}` });
      else if (schema.maxLength !== undefined && value.length > schema.maxLength) out.push({ path: path || "(root)", message: `must be at most ${schema.maxLength} characters` });
      else if (schema.pattern && !new RegExp(schema.pattern).test(value)) out.push({ path: path || "(root)", message: `must match ${schema.pattern}` });
      return out;
    case "integer":
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value) || (schema.type === "integer" && !Number.isInteger(value))) {
        out.push({ path: path || "(root)", message: `must be ${schema.type === "integer" ? "an integer" : "a number"}, got ${describe(value)}` });
      } else if (schema.minimum !== undefined && value < schema.minimum) {
        out.push({ path: path || "(root)", message: `must be at least ${schema.minimum}` });
      }
      return out;
    case "boolean":
      if (typeof value !== "boolean") out.push({ path: path || "(root)", message: `must be a boolean, got ${describe(value)}` });
      return out;
    default:
      if (typeof value !== "object" || Array.isArray(value)) return out;
  }
  const record = value as Record<string, unknown>;
  if (schema.maxProperties !== undefined && Object.keys(record).length > schema.maxProperties) {
    out.push({ path: path || "(root)", message: `must have at most ${schema.maxProperties} entries` });
    return out;
  }
  for (const name of schema.required ?? []) {
    if (record[name] === undefined) out.push({ path: at(`.${name}`), message: "is required" });
  }
  for (const [name, child] of Object.entries(record)) {
    const known = schema.properties?.[name];
    if (known) {
      if (child !== undefined) out.push(...validateStructure(child, known, at(`.${name}`)));
    } else if (schema.additionalProperties === false) {
      out.push({ path: at(`.${name}`), message: "is not a known field" });
    } else if (typeof schema.additionalProperties === "object") {
      out.push(...validateStructure(child, schema.additionalProperties, at(`[${JSON.stringify(shortKey(name))}]`)));
    }
  }
  return out;
}

/** A map key as a path names it: long keys are cut, so an error never echoes a megabyte of input. */
export function shortKey(key: string, max = 64): string {
  return key.length > max ? `${key.slice(0, max)}...` : key;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  return typeof value;
}
