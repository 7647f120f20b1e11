/**
 * The `kubernetes` JwtIssuer: the Helm chart creates it for the cluster's own service account tokens
 * (openfaas/faas-netes `chart/openfaas/templates/kubernetes-jwtissuer.yaml`), so the sandbox creates it
 * too and shipped manifests work unchanged; `policy explain` models the same object.
 */
import { KUBERNETES_ISSUER } from "../issuer/service-account-issuer.js";
import type { JwtIssuerObject } from "./types.js";

/** The chart's name for it; a shipped JwtIssuer of this name is replaced. */
export const KUBERNETES_JWT_ISSUER = "kubernetes";

/**
 * The object as the chart writes it: `iss` the cluster issuer, `aud` the gateway's public URL, and
 * tokens lasting 2h; `issInternal` is where its keys are fetched (the sandbox's issuer), when known.
 */
export function kubernetesJwtIssuer(gatewayUrl: string, issInternal?: string): JwtIssuerObject {
  return {
    kind: "JwtIssuer",
    name: KUBERNETES_JWT_ISSUER,
    namespace: "openfaas",
    source: "(created by the sandbox)",
    spec: { iss: KUBERNETES_ISSUER, aud: [gatewayUrl], ...(issInternal !== undefined ? { issInternal } : {}), tokenExpiry: "2h" },
  };
}

/**
 * The issuers the gateway trusts, in the order it tries them: `kubernetes` first, then the shipped
 * ones, except a shipped `kubernetes`, which is replaced (and `warn` says so).
 */
export function trustedIssuers(kubernetes: JwtIssuerObject, shipped: readonly JwtIssuerObject[], warn: (line: string) => void = () => {}): JwtIssuerObject[] {
  const others = shipped.filter((i) => i.name !== KUBERNETES_JWT_ISSUER);
  if (others.length !== shipped.length) warn(`manifests: JwtIssuer "${KUBERNETES_JWT_ISSUER}" is replaced by the sandbox's own (aud = the sandbox URL)`);
  return [kubernetes, ...others];
}
