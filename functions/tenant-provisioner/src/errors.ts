import type { CommonErrorCode } from "@node-ts-iam/sdk/kit";

/**
 * Stable error codes of the provisioner API: the HTTP API kit's, plus its own. Clients switch on
 * `code`; `message` is for people and may change.
 */
export type ErrorCode = CommonErrorCode | "TENANT_NOT_FOUND" | "TENANT_NOT_MANAGED" | "INJECTED_FAULT";
