// Placeholder entry; the template server replaces it.
import type { Handler } from "@node-ts-iam/sdk";
export type { Handler };
