/** A request the server refuses before the handler runs: answered as `{"error", "code"}` JSON. */
export class RequestError extends Error {
  override readonly name = "RequestError";
  constructor(
    /** HTTP status to answer with (4xx). */
    readonly status: number,
    /** Stable machine-readable code, e.g. `ERR_BODY_TOO_LARGE`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
