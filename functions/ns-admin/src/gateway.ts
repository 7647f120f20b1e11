import type { Client } from "@node-ts-iam/sdk";

/** The gateway operations ns-admin uses: the SDK client's, so tests can inject a fake. */
export type NsAdminGateway = Pick<
  Client,
  | "getNamespaces"
  | "getFunctions"
  | "getFunction"
  | "deploy"
  | "update"
  | "deleteFunction"
  | "scaleFunction"
  | "getSecrets"
  | "createSecret"
  | "updateSecret"
  | "deleteSecret"
  | "getLogs"
>;
