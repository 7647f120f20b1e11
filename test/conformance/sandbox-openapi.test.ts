import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ours from "../../sandbox/src/schema/api-schemas.js";
import { validateStructure, type StructuralSchema } from "../../sandbox/src/schema/structural-schema.js";
import type { Sandbox } from "../../sandbox/src/types.js";
import { basic, call, startFixtureSandbox } from "../sandbox/helpers.js";
import { component, referenceOpenApi, structuralShape } from "./sandbox-reference.js";

const doc = referenceOpenApi();
const ref = (name: string) => component(doc, name);
let sandbox: Sandbox;
let admin: string;

beforeAll(async () => {
  sandbox = await startFixtureSandbox({ runFunctions: true });
  admin = basic(sandbox);
}, 60_000);
afterAll(async () => {
  await sandbox?.stop();
});

function valid(value: unknown, schema: StructuralSchema): void {
  expect(validateStructure(value, schema)).toEqual([]);
}

/** Every property the reference declares, ours declares with the same type (ours may add fields the gateway serves beyond the spec, e.g. faas-provider's `namespace`). */
function covers(oursSchema: StructuralSchema, reference: StructuralSchema): void {
  const flat = (s: StructuralSchema): Record<string, unknown> => {
    const props = { ...(s.properties ?? {}) };
    for (const part of s.allOf ?? []) Object.assign(props, flat(part));
    return props;
  };
  const mine = flat(oursSchema);
  for (const [name, schema] of Object.entries(flat(reference))) {
    expect(mine[name], `property ${name}`).toBeDefined();
    expect((mine[name] as StructuralSchema).type, `type of ${name}`).toBe((schema as StructuralSchema).type ?? (mine[name] as StructuralSchema).type);
  }
  expect([...(oursSchema.required ?? [])].sort()).toEqual(expect.arrayContaining([...(reference.required ?? [])].sort()));
}

describe("our API schemas cover the reference OpenAPI components", () => {
  it.each([
    ["FunctionDeployment", ours.FunctionDeploymentSchema],
    ["FunctionStatus", ours.FunctionStatusSchema],
    ["DeleteFunctionRequest", ours.DeleteFunctionRequestSchema],
    ["ScaleServiceRequest", ours.ScaleServiceRequestSchema],
    ["SecretDescription", ours.SecretDescriptionSchema],
    ["Secret", ours.SecretSchema],
    ["LogEntry", ours.LogEntrySchema],
    ["GatewayInfo", ours.GatewayInfoSchema],
    ["ListNamespaceResponse", ours.ListNamespaceResponseSchema],
  ] as const)("%s", (name, schema) => {
    const reference = ref(name);
    if (reference.type === "array") expect(structuralShape(schema)).toEqual(structuralShape(reference));
    else covers(schema, reference);
  });
});

describe("live sandbox responses validate against the reference OpenAPI spec", () => {
  it("namespaces, functions, secrets, info and logs", async () => {
    const deployment = { service: "conf", image: "example/conf:1", namespace: "dev", envVars: { A: "b" }, labels: { x: "y" } };
    valid(deployment, ref("FunctionDeployment"));
    expect((await call(sandbox.url, "POST", "/system/functions", admin, deployment)).status).toBe(202);

    const namespaces = await call(sandbox.url, "GET", "/system/namespaces", admin);
    valid(namespaces.json, ref("ListNamespaceResponse"));

    const list = await call(sandbox.url, "GET", "/system/functions?namespace=dev", admin);
    valid(list.json, { type: "array", items: ref("FunctionStatus") });
    expect((list.json as unknown[]).length).toBeGreaterThanOrEqual(2);

    const one = await call(sandbox.url, "GET", "/system/function/whoami?namespace=dev", admin);
    valid(one.json, ref("FunctionStatus"));

    const scale = { serviceName: "conf", namespace: "dev", replicas: 0 };
    valid(scale, ref("ScaleServiceRequest"));
    expect((await call(sandbox.url, "POST", "/system/scale-function/conf", admin, scale)).status).toBe(202);

    const secret = { name: "conf-secret", namespace: "dev", value: "v" };
    valid(secret, ref("Secret"));
    expect((await call(sandbox.url, "POST", "/system/secrets", admin, secret)).status).toBe(202);
    const secrets = await call(sandbox.url, "GET", "/system/secrets?namespace=dev", admin);
    // Listed as an array of SecretDescription, as faas-cli 0.18.12 `proxy/secret.go` reads it (the spec shows one object).
    valid(secrets.json, { type: "array", items: ref("SecretDescription") });

    const info = await call(sandbox.url, "GET", "/system/info", admin);
    valid(info.json, ref("GatewayInfo"));

    await call(sandbox.url, "GET", "/function/whoami.dev/env", "");
    const logs = await call(sandbox.url, "GET", "/system/logs?name=whoami&namespace=dev&tail=10", admin);
    const lines = logs.text.trim().split("\n").map((l) => JSON.parse(l) as unknown);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) valid(line, ref("LogEntry"));

    const del = { functionName: "conf", namespace: "dev" };
    valid(del, ref("DeleteFunctionRequest"));
    expect((await call(sandbox.url, "DELETE", "/system/functions", admin, del)).status).toBe(202);
  });

  it("answers the reference paths with the documented status codes", async () => {
    expect((await fetch(`${sandbox.url}/healthz`)).status).toBe(200);
    expect((await call(sandbox.url, "POST", "/function/whoami.dev/env", "")).status).toBe(200);
    expect((await call(sandbox.url, "POST", "/async-function/whoami.dev", "")).status).toBe(202);
    expect((await call(sandbox.url, "GET", "/system/function/nope?namespace=dev", admin)).status).toBe(404);
    const paths = Object.keys(doc["paths"] as object);
    expect(paths).toEqual(expect.arrayContaining(["/system/functions", "/system/scale-function/{functionName}", "/system/logs", "/system/namespaces"]));
  });
});
