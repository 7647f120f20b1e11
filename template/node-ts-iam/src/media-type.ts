/** `Content-Type` parsing, as lenient as type-is/content-type where that matters for routing a body. */

/** A parsed media type: lower-cased `type/subtype` and the `charset` parameter, if any. */
export interface MediaType {
  readonly type: string;
  readonly charset: string | undefined;
}

const TYPE_SUBTYPE = /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/;
const CHARSET_PARAM = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i;

/** Parses a `Content-Type` value; `undefined` when it is not a media type (node22 then leaves the body unparsed). */
export function parseMediaType(header: string): MediaType | undefined {
  const semi = header.indexOf(";");
  const type = (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
  if (!TYPE_SUBTYPE.test(type)) return undefined;
  if (semi === -1) return { type, charset: undefined };
  const match = CHARSET_PARAM.exec(header.slice(semi));
  const charset = match ? (match[1] ?? match[2] ?? "").toLowerCase() : undefined;
  return { type, charset: charset || undefined };
}
