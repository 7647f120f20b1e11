/**
 * `@node-ts-iam/sdk`: everything a node-ts-iam handler imports, by one bare specifier.
 * @packageDocumentation
 */
export type * from "./function-types.js";
