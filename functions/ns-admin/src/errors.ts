import type { CommonErrorCode } from "@node-ts-iam/sdk/kit";

/**
 * Stable error codes of the ns-admin API: the HTTP API kit's, plus its own. Clients switch on
 * `code`; `message` is for people and may change.
 */
export type ErrorCode = CommonErrorCode | "INVALID_REPLICAS" | "NAMESPACE_NOT_ALLOWED" | "ANNOTATION_NOT_ALLOWED";
