/**
 * faas-cli's stack file (`stack.yml`) as a schema, written from its reference
 * (https://docs.openfaas.com/reference/yaml/) and the fields openfaas/faas-cli reads
 * (`stack/schema.go`): `version` 1.0 if given, `provider.name` openfaas, `configuration.templates[{name,
 * source}]`, and the function keys faas-cli reads. Unknown keys are errors, so a misspelt key
 * (silently ignored by faas-cli) fails the test.
 */
import type { Schema } from "./schema.js";

const stringMap: Schema = { type: "object", additionalProperties: { type: "string" } };
const stringList: Schema = { type: "array", items: { type: "string" } };
const resources: Schema = {
  type: "object",
  properties: { memory: { type: "string" }, cpu: { type: "string" } },
  additionalProperties: false,
};
const dnsLabel = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

/** One entry of `functions:`. */
export const functionSchema: Schema = {
  type: "object",
  required: ["lang", "handler", "image"],
  additionalProperties: false,
  properties: {
    lang: { type: "string" },
    handler: { type: "string" },
    image: { type: "string", pattern: "^[^\\s]+$" },
    namespace: { type: "string", pattern: dnsLabel },
    fprocess: { type: "string" },
    environment: stringMap,
    environment_file: stringList,
    secrets: { type: "array", items: { type: "string", pattern: dnsLabel } },
    labels: stringMap,
    annotations: stringMap,
    limits: resources,
    requests: resources,
    constraints: stringList,
    build_args: stringMap,
    build_options: stringList,
    readonly_root_filesystem: { type: "boolean" },
    skip_build: { type: "boolean" },
  },
};

/** The whole stack file (after `${VAR}` substitution). */
export const stackSchema: Schema = {
  type: "object",
  required: ["provider", "functions"],
  additionalProperties: false,
  properties: {
    version: { type: "string", enum: ["1.0"] },
    provider: {
      type: "object",
      required: ["name"],
      additionalProperties: false,
      properties: {
        name: { type: "string", enum: ["openfaas"] },
        gateway: { type: "string", pattern: "^https?://[^\\s/]+(/.*)?$" },
      },
    },
    configuration: {
      type: "object",
      additionalProperties: false,
      properties: {
        templates: {
          type: "array",
          items: {
            type: "object",
            required: ["name", "source"],
            additionalProperties: false,
            // git:// as well: faas-cli 0.18.12 pulls git://127.0.0.1/<repo> from git daemon (test/conformance/first-function.test.ts).
            properties: { name: { type: "string" }, source: { type: "string", pattern: "^(https://|git://|ssh://|git@)[^\\s]+$" } },
          },
        },
        copy: stringList,
      },
    },
    functions: { type: "object", additionalProperties: functionSchema },
  },
};
