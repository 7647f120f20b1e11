/**
 * A small validator for the JSON Schema subset used by Kubernetes CRD `openAPIV3Schema`s and by our
 * faas-cli stack schema: `type`, `properties`, `required`, `additionalProperties` (boolean or
 * schema), `items`, `enum`, `pattern`, `minItems`, `nullable`, `x-kubernetes-preserve-unknown-fields`.
 * Kubernetes prunes unknown fields of a structural schema silently; we report them, so a typo in a
 * manifest is an error rather than a field the cluster quietly drops.
 */
export interface Schema {
  type?: "object" | "array" | "string" | "boolean" | "integer" | "number";
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  pattern?: string;
  minItems?: number;
  nullable?: boolean;
  description?: string;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
}

/** Returns one message per violation (empty when `value` is valid). */
export function validate(schema: Schema, value: unknown, path = "$"): string[] {
  if (value === null) return schema.nullable ? [] : schema.type ? [`${path}: null where ${schema.type} is required`] : [];
  const errors: string[] = [];
  if (schema.type && !hasType(schema.type, value)) return [`${path}: expected ${schema.type}, got ${describe(value)}`];
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (schema.pattern && typeof value === "string" && !new RegExp(schema.pattern).test(value)) {
    errors.push(`${path}: "${value}" does not match ${schema.pattern}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
    if (schema.items) value.forEach((item, i) => errors.push(...validate(schema.items!, item, `${path}[${i}]`)));
  } else if (typeof value === "object") {
    const record = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in record)) errors.push(`${path}: missing required "${key}"`);
    for (const [key, child] of Object.entries(record)) {
      const childPath = `${path}.${key}`;
      const declared = schema.properties?.[key];
      if (declared) errors.push(...validate(declared, child, childPath));
      else if (typeof schema.additionalProperties === "object") errors.push(...validate(schema.additionalProperties, child, childPath));
      else if (schema.additionalProperties === false || (schema.properties && !schema["x-kubernetes-preserve-unknown-fields"] && schema.additionalProperties !== true)) {
        errors.push(`${childPath}: unknown field`);
      }
    }
  }
  return errors;
}

function hasType(type: NonNullable<Schema["type"]>, value: unknown): boolean {
  switch (type) {
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "array":
      return Array.isArray(value);
    case "integer":
      return Number.isInteger(value);
    default:
      return typeof value === type;
  }
}

function describe(value: unknown): string {
  return Array.isArray(value) ? "array" : typeof value;
}
