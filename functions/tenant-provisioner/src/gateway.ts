import type { Client, FunctionDeployment } from "@node-ts-iam/sdk";

/** The gateway operations the provisioner uses: the SDK client's, so tests can inject a fake. */
export type ProvisionerGateway = Pick<
  Client,
  | "getNamespaces"
  | "getNamespace"
  | "createNamespace"
  | "updateNamespace"
  | "deleteNamespace"
  | "getFunctions"
  | "deploy"
  | "update"
  | "deleteFunction"
  | "getSecrets"
  | "createSecret"
  | "deleteSecret"
>;

/** A starter function as the provisioner deploys it: always into the tenant's namespace. */
export type TenantFunction = FunctionDeployment & { namespace: string };
