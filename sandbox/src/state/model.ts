/** The annotation that picks a function's service account (https://docs.openfaas.com/reference/yaml/, `annotations`). */
export const SERVICE_ACCOUNT_ANNOTATION = "com.openfaas.serviceaccount";

/** CPU and memory of a function (`FunctionResources` in the OpenAPI spec), plus the GPU counts faas-provider knows. */
export interface FunctionResources {
  memory?: string;
  cpu?: string;
  "nvidia.com/gpu"?: string;
  "amd.com/gpu"?: string;
  "intel.com/gpu"?: string;
}

/** A deployment request as accepted by `POST/PUT /system/functions`, normalised. */
export interface FunctionDeployment {
  service: string;
  image: string;
  namespace: string;
  envProcess?: string;
  envVars: Record<string, string>;
  constraints: string[];
  secrets: string[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  limits?: FunctionResources;
  requests?: FunctionResources;
  readOnlyRootFilesystem?: boolean;
}

/** A deployed function as stored. */
export interface FunctionRecord {
  deployment: FunctionDeployment;
  replicas: number;
  createdAt: string;
}

/** A namespace as stored. */
export interface NamespaceRecord {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A secret as stored: the value only as base64, never returned by the API. */
export interface SecretRecord {
  name: string;
  namespace: string;
  valueBase64: string;
}

/** Everything the gateway persists. */
export interface SandboxState {
  version: 1;
  namespaces: NamespaceRecord[];
  functions: FunctionRecord[];
  secrets: SecretRecord[];
}
