/**
 * The Kubernetes objects of one cron-connector deployment, as the OpenFaaS cron-connector chart
 * creates them with `iam.enabled=true` (ServiceAccount, Policy, Role, Deployment with a projected
 * token), scoped to the namespaces it serves: `Function:List` and `Namespace:List` on `<ns>:*` for
 * each, `Function:Invoke` only on the functions named (those with `jwt_auth`), and a Role that binds
 * exactly `system:serviceaccount:<namespace>:<name>` from the cluster's issuer.
 *
 * Built as objects, not text templates, so a value can never break the YAML or leave a placeholder;
 * every value is checked first ({@link ConnectorError} `ERR_MANIFEST_VALUE` naming it).
 */
import { DEFAULT_TOKEN_MOUNT_PATH, TOKEN_FILE_NAME } from "@node-ts-iam/sdk";
import { isDnsLabel } from "@node-ts-iam/sdk/kit";
import { configFromEnvironment } from "../config.js";
import { ConnectorError } from "../errors.js";

/** What a deployment is parameterised by. */
export interface ManifestValues {
  /** Name of the ServiceAccount, Policy, Role and Deployment (default `cron-connector`). */
  name?: string;
  /** Namespace the connector runs in (default `openfaas`, as the chart). */
  namespace?: string;
  /**
   * The gateway's public URL, the audience of the projected token: the chart's
   * `iam.systemIssuer.url`, character for character.
   */
  gatewayURL: string;
  /** The URL the connector calls (`gateway_url`; default `http://gateway.openfaas:8080`). */
  internalGatewayURL?: string;
  /** Namespaces whose functions it schedules (at least one). */
  namespaces: readonly string[];
  /** Functions it may invoke with a function token, as `<namespace>:<function>` (those with `jwt_auth`). */
  invoke?: readonly string[];
  /** The connector's container image. */
  image: string;
  /** The cluster's service account issuer, the Role's `jwt:iss` condition (default `https://kubernetes.default.svc.cluster.local`). */
  issuer?: string;
  /** `expirationSeconds` of the projected token (default 7200, as the chart; at least 600). */
  expirationSeconds?: number;
  /** Extra environment of the connector (`asynchronous_invocation`, `rebuild_interval`, ...). */
  env?: Readonly<Record<string, string>>;
}

/** A Kubernetes object as rendered. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  [field: string]: unknown;
}

/** The cluster issuer the OpenFaaS chart's `kubernetes` JwtIssuer trusts. */
export const CLUSTER_ISSUER = "https://kubernetes.default.svc.cluster.local";
/** The in-cluster gateway URL. */
export const IN_CLUSTER_GATEWAY_URL = "http://gateway.openfaas:8080";
const TOKEN_VOLUME = "openfaas-token";
const MIN_EXPIRATION_SECONDS = 600;
/** Kubernetes refuses a projected token lifetime above 2^32 s. */
const MAX_EXPIRATION_SECONDS = 2 ** 32;
// Settings the manifests own: the extra environment may not override them.
const OWNED_ENV = new Set(["gateway_url", "token_mount_path", "OPENFAAS_TOKEN_FILE", "OPENFAAS_TOKEN_URL", "basic_auth"]);

/** Checks the values and builds ServiceAccount, Policy, Role and Deployment, in that order. */
export function connectorManifests(values: ManifestValues): KubeObject[] {
  const name = label(values.name ?? "cron-connector", "name");
  const namespace = label(values.namespace ?? "openfaas", "namespace");
  const gatewayURL = url(values.gatewayURL, "gatewayURL", true);
  const internal = url(values.internalGatewayURL ?? IN_CLUSTER_GATEWAY_URL, "internalGatewayURL", false);
  const issuer = url(values.issuer ?? CLUSTER_ISSUER, "issuer", false);
  if (values.namespaces.length === 0) fail("namespaces: name at least one namespace the connector serves");
  const served = [...new Set(values.namespaces.map((ns) => label(ns, "namespaces")))];
  const invoke = [...new Set((values.invoke ?? []).map(functionRef))];
  // The connector finds functions only by listing the namespaces it serves: a grant elsewhere is never used.
  for (const ref of invoke) {
    const ns = ref.slice(0, ref.indexOf(":"));
    if (!served.includes(ns)) fail(`invoke: ${ref} is in namespace ${ns}, which namespaces does not list: the connector would never find it (add ${ns} to namespaces, or drop ${ref})`);
  }
  const image = values.image?.trim() ?? "";
  if (image === "" || /\s/.test(image) || image.includes("${")) fail(`image ${JSON.stringify(values.image)} must be an image reference without spaces or placeholders`);
  const expirationSeconds = values.expirationSeconds ?? 7200;
  if (!Number.isInteger(expirationSeconds) || expirationSeconds < MIN_EXPIRATION_SECONDS || expirationSeconds > MAX_EXPIRATION_SECONDS) {
    fail(`expirationSeconds must be a whole number from ${MIN_EXPIRATION_SECONDS} to ${MAX_EXPIRATION_SECONDS} (Kubernetes' bounds), got ${expirationSeconds}`);
  }
  const extraEnv = Object.entries(values.env ?? {});
  for (const [key] of extraEnv) if (OWNED_ENV.has(key)) fail(`env: ${key} is set by the manifests themselves`);
  // What the connector would refuse when it starts (a rebuild_interval that is not a duration) is refused here, before a cluster sees it.
  try {
    configFromEnvironment({ ...values.env, gateway_url: internal, token_mount_path: DEFAULT_TOKEN_MOUNT_PATH });
  } catch (error) {
    if (error instanceof ConnectorError) fail(`env: ${error.message}`);
    throw error;
  }

  const labels = { "app.kubernetes.io/name": "cron-connector", "app.kubernetes.io/instance": name, "app.kubernetes.io/part-of": "node-ts-iam" };
  const metadata = (ns: string): KubeObject["metadata"] => ({ name, namespace: ns, labels: { ...labels } });
  const statements: Record<string, unknown>[] = [
    { sid: "list-scheduled-functions", effect: "Allow", action: ["Function:List", "Namespace:List"], resource: served.map((ns) => `${ns}:*`) },
  ];
  if (invoke.length > 0) statements.push({ sid: "invoke-with-function-token", effect: "Allow", action: ["Function:Invoke"], resource: invoke });

  return [
    // The connector reads only its projected gateway-audience token, so the API-server token is not mounted.
    { apiVersion: "v1", kind: "ServiceAccount", metadata: metadata(namespace), automountServiceAccountToken: false },
    // IAM objects live in the openfaas namespace, wherever the connector runs.
    { apiVersion: "iam.openfaas.com/v1", kind: "Policy", metadata: metadata("openfaas"), spec: { statement: statements } },
    {
      apiVersion: "iam.openfaas.com/v1",
      kind: "Role",
      metadata: metadata("openfaas"),
      spec: { policy: [name], principal: { "jwt:sub": [`system:serviceaccount:${namespace}:${name}`] }, condition: { StringEqual: { "jwt:iss": [issuer] } } },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: metadata(namespace),
      spec: {
        // One instance, replaced (not rolled): two at once would invoke every function twice.
        replicas: 1,
        strategy: { type: "Recreate" },
        selector: { matchLabels: { "app.kubernetes.io/name": "cron-connector", "app.kubernetes.io/instance": name } },
        template: {
          metadata: { labels: { ...labels } },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
              {
                name: "cron-connector",
                image,
                env: [
                  { name: "gateway_url", value: internal },
                  { name: "token_mount_path", value: DEFAULT_TOKEN_MOUNT_PATH },
                  ...extraEnv.map(([key, value]) => ({ name: key, value: String(value) })),
                ],
                volumeMounts: [{ name: TOKEN_VOLUME, mountPath: DEFAULT_TOKEN_MOUNT_PATH, readOnly: true }],
                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
              },
            ],
            volumes: [{ name: TOKEN_VOLUME, projected: { sources: [{ serviceAccountToken: { audience: gatewayURL, expirationSeconds, path: TOKEN_FILE_NAME } }] } }],
          },
        },
      },
    },
  ];
}

function fail(message: string): never {
  throw new ConnectorError("ERR_MANIFEST_VALUE", message);
}

function label(value: string, field: string): string {
  if (!isDnsLabel(value)) fail(`${field}: ${JSON.stringify(value)} is not a Kubernetes name (RFC 1123 label, at most 63 characters)`);
  return value;
}

function functionRef(value: string): string {
  const [ns, fn, ...rest] = value.split(":");
  if (rest.length > 0 || !ns || !fn || !isDnsLabel(ns) || !isDnsLabel(fn)) fail(`invoke: ${JSON.stringify(value)} must be <namespace>:<function>`);
  return value;
}

/** Audiences and issuers are compared as exact strings, so the value is checked and kept as written. */
function url(value: string, field: string, refusePlaceholder: boolean): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return fail(`${field}: ${JSON.stringify(value)} is not a URL`);
  }
  if (!["http:", "https:"].includes(parsed.protocol) || parsed.username || parsed.password || parsed.search || parsed.hash || /\s|"|'/.test(value)) {
    fail(`${field}: ${JSON.stringify(value)} must be an http(s) URL without credentials, query, fragment, spaces or quotes`);
  }
  // RFC 2606 names: the chart's default https://gateway.example.com is not anybody's gateway.
  if (refusePlaceholder && /(^|\.)example(\.(com|net|org))?$/.test(parsed.hostname)) {
    fail(`${field}: ${JSON.stringify(value)} is a documentation placeholder: use the gateway's public URL (iam.systemIssuer.url)`);
  }
  return value;
}
