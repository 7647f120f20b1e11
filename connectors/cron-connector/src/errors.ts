/**
 * The connector's one error family: every refusal is a {@link ConnectorError} with a stable `code`
 * and a message that names the setting or schedule at fault (never a token: none passes through here).
 */

/** Every stable code a {@link ConnectorError} carries. */
export type ConnectorErrorCode =
  /** A setting (environment variable) is missing or malformed. */
  | "ERR_CONFIG"
  /** A `schedule` annotation is not a cron expression the connector accepts. */
  | "ERR_SCHEDULE"
  /** A value for the cluster manifests is missing or malformed. */
  | "ERR_MANIFEST_VALUE"
  /** `connector:render`'s command line: an unknown option, one without its value, a malformed number. */
  | "ERR_USAGE"
  /** `connector:render --out` names a folder that cannot be made or written. */
  | "ERR_OUT_DIR";

/** Why the connector refused a setting, a schedule or a manifest value. */
export class ConnectorError extends Error {
  /** Stable, machine-readable code. */
  readonly code: ConnectorErrorCode;

  constructor(code: ConnectorErrorCode, message: string) {
    super(message);
    this.name = "ConnectorError";
    this.code = code;
  }
}
