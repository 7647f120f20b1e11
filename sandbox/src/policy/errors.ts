/** The stable codes of {@link PolicyToolError}: what went wrong, for scripts and tests to match on. */
export type PolicyErrorCode =
  /** A flag, argument or value the command does not accept. */
  | "USAGE"
  /** The function is not in the stack, or has no service account of its own. */
  | "UNKNOWN_FUNCTION"
  /** No audit log where one was expected. */
  | "NO_AUDIT_LOG"
  /** The audit log exists but holds no decision (after `--since`, if given). */
  | "EMPTY_AUDIT_LOG"
  /** The audit log has no decision of this identity in the runs selected. */
  | "NO_EVIDENCE"
  /** The decisions of this identity are in another sandbox run than the one selected. */
  | "OTHER_RUN"
  /** The stack or the IAM manifests could not be read. */
  | "BAD_MANIFESTS"
  /** The check list (`--expect`) is not valid. */
  | "BAD_CHECK_LIST"
  /** `--write` was refused: writing would change more than this identity's Policy. */
  | "WRITE_REFUSED"
  /** explain: a subject that is not of the form its issuer's tokens carry. */
  | "BAD_SUBJECT"
  /** explain: `--issuer` names no JwtIssuer the gateway trusts. */
  | "UNKNOWN_ISSUER"
  /** explain: the token file cannot be read, or does not hold a JWT with `iss` and `sub`. */
  | "BAD_TOKEN"
  /** explain: an action the gateway never checks. */
  | "BAD_ACTION"
  /** explain: a resource of a shape the gateway never checks for the action. */
  | "BAD_RESOURCE";

/**
 * The one error family of `npm run policy`: a clear message (never a token: audit lines carry
 * none) and a stable code. The CLI prints `policy: <code>: <message>` and exits 2.
 */
export class PolicyToolError extends Error {
  constructor(
    readonly code: PolicyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "PolicyToolError";
  }
}
