import type { AuditLog } from "../audit-log.js";
import type { AccessTokenService } from "../iam/access-tokens.js";
import type { PolicyEngine } from "../iam/policy-engine.js";
import type { LogStore } from "../logs/log-store.js";
import type { FunctionRunner } from "../runner/function-runner.js";
import type { StateStore } from "../state/state-store.js";

/** The operator's bootstrap credential (basic auth, like a CE gateway's `admin`). */
export interface AdminCredential {
  username: string;
  password: string;
}

/** What the API handlers share. */
export interface GatewayContext {
  store: StateStore;
  runner: FunctionRunner;
  logs: LogStore;
  engine: PolicyEngine;
  accessTokens: AccessTokenService;
  admin: AdminCredential;
  audit: AuditLog;
  /** Invocation counts by `<ns>/<fn>` (runtime statistics, not persisted). */
  invocations: Map<string, number>;
  log: (line: string) => void;
}
