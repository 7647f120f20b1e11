/**
 * The one place where a non-2xx answer becomes its typed error: its body (already read, bounded)
 * is decoded, redacted against the call's secrets, then cut, and the error is built once from the
 * result. Nothing else ever sees the raw body.
 */
import { OAuthError, statusError, type HttpStatusError, type RequestSite } from "./errors.js";
import { header, type WireHeaders } from "./http.js";
import { redactAndCut, type Redactor } from "./redact.js";
import { parseRetryAfter } from "./retry.js";
import { parseJsonObject } from "./validate.js";

/**
 * How much of an error body is read (4 KiB): enough for any gateway or OAuth error message; the
 * rest of a longer one is never received (its connection is dropped).
 */
export const ERROR_BODY_BYTES = 4096;

/** @internal A non-2xx answer whose body was read (at most {@link ERROR_BODY_BYTES} of it, or a whole result). */
export interface ErrorAnswer {
  status: number;
  headers: WireHeaders;
  body: Buffer;
}

/**
 * @internal The typed error of a non-2xx answer. With `oauth` (a token endpoint), a 4xx JSON body
 * with an `error` string is an {@link OAuthError}; anything else maps by status.
 */
export function answerError(site: RequestSite, answer: ErrorAnswer, secrets: Redactor, oauth: boolean): HttpStatusError {
  const retryAfterMs = parseRetryAfter(header(answer.headers, "retry-after"));
  const text = answer.body.toString("utf8").trim();
  if (oauth && answer.status >= 400 && answer.status < 500) {
    const parsed = parseJsonObject(text);
    if (parsed && typeof parsed.error === "string" && parsed.error !== "") {
      const description = typeof parsed.error_description === "string" ? parsed.error_description : "";
      return new OAuthError(site, answer.status, redactAndCut(parsed.error, secrets, 128), redactAndCut(description, secrets), retryAfterMs);
    }
  }
  return statusError(site, answer.status, redactAndCut(text, secrets), retryAfterMs);
}
