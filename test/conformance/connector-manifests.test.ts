/**
 * The cron-connector's IAM objects (as `npm run connector:render` builds them, for the sandbox's two
 * instances and a cluster) validate against the openAPIV3Schema of the reference CRDs (faas-netes
 * chart), as the functions' manifests do in functions-manifests.test.ts.
 */
import { describe, expect, it } from "vitest";
import { connectorManifests } from "../../connectors/cron-connector/src/deploy/manifests.js";
import { validate, type Schema } from "../functions/support/schema.js";
import { referenceCrdSchema } from "./sandbox-reference.js";

const schemas: Record<string, Schema> = {
  Policy: referenceCrdSchema("iam.openfaas.com_policies.yaml") as Schema,
  Role: referenceCrdSchema("iam.openfaas.com_roles.yaml") as Schema,
};

const instances = {
  "cluster, served namespaces and an invoke grant": { gatewayURL: "https://openfaas.acme-corp.io", namespaces: ["openfaas-fn", "dev"], invoke: ["openfaas-fn:preview-janitor"], image: "ghcr.io/acme/cron-connector:0.1.0" },
  "staging-only instance, no invoke grant": { name: "cron-connector-staging", gatewayURL: "http://127.0.0.1:8080", namespaces: ["staging"], image: "local" },
};

describe("cron-connector IAM objects against the reference CRDs", () => {
  const cases = Object.entries(instances).flatMap(([label, values]) =>
    connectorManifests(values)
      .filter((o) => o.apiVersion === "iam.openfaas.com/v1")
      .map((o) => [`${label}: ${o.kind} ${o.metadata.name}`, o] as const),
  );

  it("covers a Policy and a Role per instance", () => {
    expect(cases.map(([, o]) => o.kind).sort()).toEqual(["Policy", "Policy", "Role", "Role"]);
  });

  it.each(cases)("%s", (_label, object) => {
    expect(validate(schemas[object.kind]!, object)).toEqual([]);
  });

  it("the reference schema catches a broken Role", () => {
    const broken = { ...connectorManifests(instances["staging-only instance, no invoke grant"])[2]!, spec: { policy: "cron-connector", principal: { "jwt:sub": "x" } } };
    expect(validate(schemas["Role"]!, broken).length).toBeGreaterThan(0);
  });
});
