import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import type { StructuralSchema } from "../../sandbox/src/schema/structural-schema.js";

/** The reference directory (set by vitest.conformance.config.ts). */
export const REFERENCE_DIR = process.env["OPENFAAS_REFERENCE_DIR"] ?? "";

type Json = Record<string, unknown>;

/** The reference OpenAPI document. */
export function referenceOpenApi(): Json {
  return parse(readFileSync(join(REFERENCE_DIR, "openfaas-gateway.openapi.yml"), "utf8")) as Json;
}

/** The `openAPIV3Schema` of a reference CRD file. */
export function referenceCrdSchema(file: string): Json {
  const crd = parse(readFileSync(join(REFERENCE_DIR, "crds", file), "utf8")) as { spec: { versions: { schema: { openAPIV3Schema: Json } }[] } };
  return crd.spec.versions[0]!.schema.openAPIV3Schema;
}

/**
 * Converts an OpenAPI 3.0 schema (with `$ref`, `allOf`, `nullable`) into the validator's subset,
 * dropping documentation keywords, so reference schemas can validate live responses.
 */
export function toStructural(schema: Json, doc: Json): StructuralSchema {
  const ref = schema["$ref"];
  if (typeof ref === "string") {
    const name = ref.replace("#/components/schemas/", "");
    return toStructural(((doc["components"] as Json)["schemas"] as Json)[name] as Json, doc);
  }
  const out: StructuralSchema = {};
  if (typeof schema["type"] === "string") out.type = schema["type"] as StructuralSchema["type"];
  if (schema["nullable"] === true) out.nullable = true;
  if (Array.isArray(schema["required"])) out.required = schema["required"] as string[];
  if (typeof schema["minimum"] === "number") out.minimum = schema["minimum"];
  if (schema["properties"]) {
    out.properties = {};
    for (const [k, v] of Object.entries(schema["properties"] as Json)) out.properties[k] = toStructural(v as Json, doc);
  }
  if (schema["items"]) out.items = toStructural(schema["items"] as Json, doc);
  if (schema["additionalProperties"] !== undefined) {
    const ap = schema["additionalProperties"];
    out.additionalProperties = typeof ap === "boolean" ? ap : toStructural(ap as Json, doc);
  }
  if (Array.isArray(schema["allOf"])) out.allOf = (schema["allOf"] as Json[]).map((s) => toStructural(s, doc));
  return out;
}

/** A reference component schema by name. */
export function component(doc: Json, name: string): StructuralSchema {
  return toStructural({ $ref: `#/components/schemas/${name}` }, doc);
}

/** Keeps only the structural keywords (type, properties, required sorted, items, additionalProperties). */
export function structuralShape(schema: unknown): unknown {
  if (schema === null || typeof schema !== "object") return schema;
  const s = schema as Json;
  const out: Json = {};
  if (s["type"] !== undefined) out["type"] = s["type"];
  if (Array.isArray(s["required"])) out["required"] = [...(s["required"] as string[])].sort();
  if (s["properties"]) out["properties"] = Object.fromEntries(Object.entries(s["properties"] as Json).map(([k, v]) => [k, structuralShape(v)]));
  if (s["items"]) out["items"] = structuralShape(s["items"]);
  if (s["additionalProperties"] !== undefined) out["additionalProperties"] = structuralShape(s["additionalProperties"]);
  return out;
}
