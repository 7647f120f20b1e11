/**
 * The Content-Type of an answer, as node22 sends it (Express 5 `res.set`, then `res.send`):
 * - a type the handler sets is completed as `res.set` completes it (mime-types `contentType`): a short
 *   name becomes its type (`json` → `application/json; charset=utf-8`), a type with a default charset
 *   gets it (`text/*`, `application/json`, …), and a short name with no known type counts as no type;
 * - a text body (a string, or the JSON text of a value) goes out with `charset=utf-8`, replacing any
 *   other charset, because that is how the server encodes it (Express `setCharset`).
 */

interface MimeTypes {
  contentType(type: string): string | false;
  charset(type: string): string | false;
}

let mimeTypes: MimeTypes | undefined;

/** mime-types (the table Express uses), loaded the first time a type needs it. */
function mime(): MimeTypes {
  return (mimeTypes ??= require("mime-types") as MimeTypes);
}

const EXTRACT_TYPE = /^\s*([^;\s]*)(?:;|\s|$)/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const TEXT = /^[\u0009\u0020-\u007e\u0080-\u00ff]*$/;

function defaultCharset(value: string): string | false {
  const type = EXTRACT_TYPE.exec(value)?.[1] ?? "";
  // The common cases answer without loading the table; they agree with it (tested against mime-types).
  if (/^text\//i.test(type) || type.toLowerCase() === "application/json") return "utf-8";
  const charset = mime().charset(value);
  return charset === false ? false : charset.toLowerCase();
}

/**
 * A Content-Type set by the handler, completed as Express's `res.set` does; `undefined` when it names
 * no type (an unknown short name, or empty).
 */
export function completeType(value: string): string | undefined {
  if (!value.includes("/")) {
    const full = value === "" ? false : mime().contentType(value);
    return full === false ? undefined : full;
  }
  if (value.includes("charset")) return value;
  const charset = defaultCharset(value);
  return charset === false ? value : `${value}; charset=${charset}`;
}

const OWS = /^[ \t]+|[ \t]+$/g;

/** Splits `type; a=b; c="d"` as the content-type package does: lower-cased type and names, first value wins. */
function splitType(value: string): { type: string; parameters: Map<string, string> } {
  const length = value.length;
  const nextSemicolon = (from: number): number => {
    const at = value.indexOf(";", from);
    return at === -1 ? length : at;
  };
  let i = nextSemicolon(0);
  const type = value.slice(0, i).replace(OWS, "").toLowerCase();
  const parameters = new Map<string, string>();
  while (i < length) {
    const start = i + 1;
    const semicolon = nextSemicolon(start);
    const equals = value.indexOf("=", start);
    if (equals === -1 || equals > semicolon) {
      i = semicolon; // no "=": not a parameter
      continue;
    }
    const name = value.slice(start, equals).replace(OWS, "").toLowerCase();
    let j = equals + 1;
    while (value[j] === " " || value[j] === "\t") j++;
    if (value[j] !== '"') {
      if (!parameters.has(name)) parameters.set(name, value.slice(j, semicolon).replace(OWS, ""));
      i = semicolon;
      continue;
    }
    // A quoted string: backslash escapes, and ";" inside it belongs to the value; unterminated, it is dropped.
    let text = "";
    let closed = false;
    for (j++; j < length; j++) {
      if (value[j] === '"') {
        closed = true;
        break;
      }
      text += value[j] === "\\" && j + 1 < length ? value[++j] : value[j];
    }
    if (closed && !parameters.has(name)) parameters.set(name, text);
    i = nextSemicolon(j);
  }
  return { type, parameters };
}

/**
 * The type of a text body: `charset=utf-8` set on `value`, the rest kept, as Express's `setCharset`;
 * a value it cannot parse is sent as it is (node22 ended the process on it).
 */
export function withUtf8Charset(value: string): string {
  const { type, parameters } = splitType(value);
  if (!TYPE.test(type)) return value;
  parameters.set("charset", "utf-8");
  let result = type;
  for (const [name, parameter] of parameters) {
    if (!TOKEN.test(name)) return value;
    if (TOKEN.test(parameter)) result += `; ${name}=${parameter}`;
    else if (TEXT.test(parameter)) result += `; ${name}="${parameter.replace(/[\\"]/g, "\\$&")}"`;
    else return value;
  }
  return result;
}
