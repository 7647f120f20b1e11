import type { Client } from "@node-ts-iam/sdk";

/** The gateway operations the janitor uses: the SDK client's, so tests can inject a fake. */
export type JanitorGateway = Pick<Client, "getFunctions" | "deleteFunction">;
