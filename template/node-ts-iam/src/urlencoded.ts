/**
 * `application/x-www-form-urlencoded` bodies, parsed exactly as node22's `bodyParser.urlencoded({extended: true})`
 * (qs with body-parser 2's options). qs is loaded on the first such body only.
 */
import { RequestError } from "./error-answer.js";

interface QsParseOptions {
  allowPrototypes: boolean;
  arrayLimit: number;
  depth: number;
  charset: "utf-8" | "iso-8859-1";
  parameterLimit: number;
  strictDepth: boolean;
}
interface Qs {
  parse(text: string, options: QsParseOptions): Record<string, unknown>;
}

const PARAMETER_LIMIT = 1000;
let qs: Qs | undefined;

/** Counts `&`-separated parameters, giving up past the limit (body-parser answers 413 then). */
function countParameters(text: string): number | undefined {
  let count = 0;
  let index = -1;
  do {
    count++;
    if (count > PARAMETER_LIMIT) return undefined;
    index = text.indexOf("&", index + 1);
  } while (index !== -1);
  return count;
}

function loadQs(): Qs {
  // Typed locally through Qs: no @types/qs needed in a function build.
  return require("qs") as Qs;
}

/** Parses decoded form text. */
export function parseUrlencoded(text: string, charset: "utf-8" | "iso-8859-1"): Record<string, unknown> {
  if (text.length === 0) return {};
  const count = countParameters(text);
  if (count === undefined) throw new RequestError(413, "TOO_MANY_PARAMETERS", `form body has more than ${PARAMETER_LIMIT} parameters`);
  qs ??= loadQs();
  try {
    return qs.parse(text, {
      allowPrototypes: true,
      arrayLimit: Math.max(100, count),
      depth: 32,
      charset,
      parameterLimit: PARAMETER_LIMIT,
      strictDepth: true,
    });
  } catch (error) {
    if (error instanceof RangeError) throw new RequestError(400, "MALFORMED_BODY", "form body nesting is deeper than 32 levels");
    throw error;
  }
}
