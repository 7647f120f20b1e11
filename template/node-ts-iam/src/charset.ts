/** Turning body bytes into text for the charsets node22 (iconv-lite) accepts in practice. */

const UTF8 = new Set(["utf-8", "utf8"]);
const LATIN1 = new Set(["iso-8859-1", "latin1", "l1", "iso8859-1"]);

/** Whether `decode` can handle the charset. */
export function isSupportedCharset(charset: string): boolean {
  if (UTF8.has(charset) || LATIN1.has(charset)) return true;
  try {
    new TextDecoder(charset);
    return true;
  } catch {
    return false;
  }
}

/** Decodes `bytes` (a leading UTF-8 byte order mark is dropped, as iconv-lite does). */
export function decode(bytes: Buffer, charset: string): string {
  if (UTF8.has(charset)) {
    const hasBom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
    return bytes.toString("utf8", hasBom ? 3 : 0);
  }
  if (LATIN1.has(charset)) return bytes.toString("latin1");
  return new TextDecoder(charset).decode(bytes);
}
