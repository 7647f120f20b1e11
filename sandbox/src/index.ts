/**
 * `@node-ts-iam/sandbox`: a local OpenFaaS-with-IAM (service account issuer, kubelet-style token
 * projection, IAM gateway, function runner) for tests and demos.
 */
export { startSandbox } from "./sandbox.js";
export type { MintRequest, Sandbox, SandboxFunction, SandboxOptions } from "./types.js";
export type { SandboxConnector } from "./runner/connector-deployments.js";
export type { RunningConnector } from "./runner/connector-runner.js";
export { ManifestError, loadManifests, parseDuration } from "./iam/manifest-loader.js";
export type { IamManifests, JwtIssuerObject, PolicyObject, RoleObject, Condition, PolicyStatement } from "./iam/types.js";
export { CONDITION_OPERATORS, KNOWN_ACTIONS } from "./iam/types.js";
export { IAM_CRD_SCHEMAS } from "./iam/crd-schemas.js";
export { validateStructure } from "./schema/structural-schema.js";
export type { StructuralSchema, SchemaViolation } from "./schema/structural-schema.js";
export * as apiSchemas from "./schema/api-schemas.js";
export { KUBERNETES_ISSUER, MIN_EXPIRATION_SECONDS } from "./issuer/service-account-issuer.js";
export { TOKEN_FILE_NAME } from "./projection/token-projector.js";
export { substituteEnv } from "./runner/stack.js";
export { AuditLog, auditFiles, DEFAULT_AUDIT_KEEP, DEFAULT_AUDIT_MAX_BYTES } from "./audit-log.js";
export type { AuditEntry, AuditLine, AuditLogOptions } from "./audit-log.js";
