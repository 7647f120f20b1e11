/** Bad requests per function, sent through the gateway by the end-to-end test. Each must get 4xx JSON. */
export interface BadInput {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

const json = { "content-type": "application/json" };

export const nsAdminBadInputs: BadInput[] = [
  { method: "GET", path: "/nope" },
  { method: "DELETE", path: "/namespaces" },
  { method: "PATCH", path: "/namespaces/dev/functions/x", body: {} },
  { method: "GET", path: "/namespaces/Dev/functions" },
  { method: "GET", path: "/namespaces/-dev/functions" },
  { method: "GET", path: `/namespaces/${"a".repeat(64)}/functions` },
  { method: "GET", path: "/namespaces/dev/functions/UPPER" },
  { method: "GET", path: "/namespaces/dev/functions/a_b/logs" },
  { method: "PUT", path: "/namespaces/dev/functions/x", body: "{not json", headers: { "content-type": "text/plain" } },
  { method: "PUT", path: "/namespaces/dev/functions/x", body: "{not json", headers: json },
  { method: "PUT", path: "/namespaces/dev/functions/x", body: [1, 2] },
  { method: "PUT", path: "/namespaces/dev/functions/x", body: {} },
  { method: "PUT", path: "/namespaces/dev/functions/x", body: { image: "has space" } },
  { method: "PUT", path: "/namespaces/dev/functions/x", body: { image: "a:1", unknown: 1 } },
  { method: "PUT", path: "/namespaces/dev/functions/x", body: { image: "a:1", envVars: { A: 1 } } },
  { method: "PUT", path: "/namespaces/dev/functions/x", body: { image: "a:1", annotations: { "com.openfaas.serviceaccount": "tenant-provisioner" } } },
  { method: "PUT", path: "/namespaces/dev/functions/x", body: "<xml/>", headers: { "content-type": "application/xml" } },
  { method: "POST", path: "/namespaces/dev/functions/x/scale", body: { replicas: -1 } },
  { method: "POST", path: "/namespaces/dev/functions/x/scale", body: { replicas: 1000 } },
  { method: "POST", path: "/namespaces/dev/functions/x/scale", body: { replicas: "1" } },
  { method: "GET", path: "/namespaces/dev/functions/x/logs?tail=0" },
  { method: "GET", path: "/namespaces/dev/functions/x/logs?since=yesterday" },
  { method: "POST", path: "/namespaces/dev/secrets", body: { name: "s" } },
  { method: "POST", path: "/namespaces/dev/secrets", body: { name: "S!", value: "v" } },
  { method: "PUT", path: "/namespaces/dev/secrets/s", body: { rawValue: "%%%" } },
  { method: "GET", path: "/namespaces/staging/secrets" },
  { method: "GET", path: "/namespaces/dev/functions/does-not-exist" },
];

export const provisionerBadInputs: BadInput[] = [
  { method: "GET", path: "/nope" },
  { method: "PUT", path: "/tenants", body: { name: "x" } },
  { method: "PATCH", path: "/tenants/acme", body: {} },
  { method: "POST", path: "/tenants" },
  { method: "POST", path: "/tenants", body: "{not json", headers: { "content-type": "text/plain" } },
  { method: "POST", path: "/tenants", body: "{not json", headers: json },
  { method: "POST", path: "/tenants", body: [1] },
  { method: "POST", path: "/tenants", body: {} },
  { method: "POST", path: "/tenants", body: { name: "" } },
  { method: "POST", path: "/tenants", body: { name: "Acme" } },
  { method: "POST", path: "/tenants", body: { name: "a".repeat(57) } },
  { method: "POST", path: "/tenants", body: { name: 7 } },
  { method: "POST", path: "/tenants", body: { name: "ok", extra: 1 } },
  { method: "POST", path: "/tenants", body: { name: "ok", labels: [] } },
  { method: "POST", path: "/tenants", body: { name: "ok", labels: { "bad key": "v" } } },
  { method: "POST", path: "/tenants", body: { name: "ok", labels: { team: "bad value!" } } },
  { method: "POST", path: "/tenants", body: { name: "ok", labels: { "app.kubernetes.io/managed-by": "me" } } },
  { method: "POST", path: "/tenants", body: { name: "ok", annotations: { a: 1 } } },
  { method: "POST", path: "/tenants", body: "name=x", headers: { "content-type": "application/x-www-form-urlencoded" } },
  { method: "POST", path: "/tenants", body: { name: "ok" }, headers: { "content-type": "application/json", "x-fault-after-steps": "lots" } },
  { method: "GET", path: "/tenants/Acme" },
  { method: "GET", path: "/tenants/nobody" },
  { method: "DELETE", path: "/tenants/nobody" },
  { method: "DELETE", path: "/tenants/dev" },
  { method: "GET", path: "/tenants/acme/secrets" },
];

export const janitorBadInputs: BadInput[] = [
  { method: "GET", path: "/nope" },
  { method: "PUT", path: "/", body: {} },
  { method: "DELETE", path: "/" },
  { method: "PATCH", path: "/", body: {} },
  { method: "POST", path: "/sweep", body: {} },
  { method: "POST", path: "/", body: "{not json", headers: { "content-type": "text/plain" } },
  { method: "POST", path: "/", body: "{not json", headers: json },
  { method: "POST", path: "/", body: [1] },
  { method: "POST", path: "/", body: 5 },
  { method: "POST", path: "/", body: { namespace: ["dev"] } },
  { method: "POST", path: "/", body: { namespaces: "dev" } },
  { method: "POST", path: "/", body: { namespaces: [] } },
  { method: "POST", path: "/", body: { namespaces: ["Dev"] } },
  { method: "POST", path: "/", body: { namespaces: [7] } },
  { method: "POST", path: "/", body: { namespaces: ["staging"] } },
  { method: "POST", path: "/", body: { namespaces: ["dev", "kube-system"] } },
  { method: "POST", path: "/", body: { dryRun: "yes" } },
  { method: "POST", path: "/", body: { dryRun: 0 } },
  { method: "POST", path: "/", body: { dryRun: true, more: 1 } },
  { method: "POST", path: "/", body: "<x/>", headers: { "content-type": "application/xml" } },
  { method: "GET", path: "/functions/pr-1" },
];
