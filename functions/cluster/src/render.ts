/**
 * Renders the manifest templates of `functions/cluster/` for one cluster: every `${GATEWAY_URL}` becomes
 * the gateway's public URL (the audience the chart's JwtIssuer accepts). The templates stay
 * envsubst-compatible; this exists to refuse what envsubst would silently accept: an unset or
 * placeholder URL, a value that would break the YAML or the CEL string it lands in, and any variable
 * left unfilled.
 */
import { parseAllDocuments } from "yaml";

/** Every stable error code {@link RenderError} uses. */
export type RenderErrorCode =
  | "ERR_GATEWAY_URL_MISSING"
  | "ERR_GATEWAY_URL_INVALID"
  | "ERR_GATEWAY_URL_PLACEHOLDER"
  | "ERR_TEMPLATE_VARIABLE"
  | "ERR_TEMPLATE_YAML"
  /** The command line: an unknown option, or one without its value. */
  | "ERR_USAGE"
  /** `--out` names a folder that cannot be made or written (under a file, in /proc, no permission). */
  | "ERR_OUT_DIR";

/** Why a render was refused; `code` is stable, `message` names the file or value at fault. */
export class RenderError extends Error {
  /** Stable machine-readable code. */
  readonly code: RenderErrorCode;
  constructor(code: RenderErrorCode, message: string) {
    super(message);
    this.name = "RenderError";
    this.code = code;
  }
}

/** The values a template may use, by variable name. */
export interface TemplateValues {
  /** The gateway's public URL: the chart's `iam.systemIssuer.url`, character for character. */
  GATEWAY_URL: string;
}

/** The comment line that marks a file as a template; the rendered copy says where it came from instead. */
const TEMPLATE_MARKER = /^# TEMPLATE:.*$/m;
const VARIABLE = /\$\{([^}]*)\}/g;
// What lands between double quotes in CEL and unquoted in YAML must need no escaping in either.
const SAFE_URL_CHARACTERS = /^[A-Za-z0-9._~:/%-]+$/;
const MAX_URL_LENGTH = 2048;
// RFC 2606 names: the chart's default (https://gateway.example.com) and every documentation example.
const PLACEHOLDER_HOST = /(^|\.)example(\.(com|net|org))?$/;

/**
 * Checks `value` as the gateway URL and returns it unchanged: the JwtIssuer compares audiences as
 * exact strings, so nothing is normalised. Throws {@link RenderError} when it is unset, not an
 * http(s) URL of scheme, host, optional port and path, or a documentation placeholder.
 */
export function checkGatewayUrl(value: string | undefined): string {
  if (value === undefined || value.trim() === "") {
    throw new RenderError(
      "ERR_GATEWAY_URL_MISSING",
      "GATEWAY_URL is not set: set it to the gateway's public URL, the chart's iam.systemIssuer.url " +
        "(kubectl get jwtissuer system -n openfaas -o jsonpath='{.spec.iss}')",
    );
  }
  const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
  const invalid = (why: string): RenderError => new RenderError("ERR_GATEWAY_URL_INVALID", `GATEWAY_URL ${shown} ${why}`);
  if (value.length > MAX_URL_LENGTH) throw invalid(`is longer than ${MAX_URL_LENGTH} characters`);
  if (!SAFE_URL_CHARACTERS.test(value)) throw invalid("may hold only letters, digits and . _ ~ : / % - (no spaces, quotes, query or fragment)");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid("is not a URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw invalid("must start with https:// (or http://)");
  if (!value.startsWith(`${url.protocol}//`) || url.hostname === "") throw invalid("must name a host after the scheme");
  if (PLACEHOLDER_HOST.test(url.hostname)) {
    throw new RenderError("ERR_GATEWAY_URL_PLACEHOLDER", `GATEWAY_URL ${shown} is a documentation placeholder, not your gateway: use its public URL`);
  }
  return value;
}

/**
 * Fills in one template. `file` names it in errors and in the header that replaces its `# TEMPLATE:`
 * line. Throws {@link RenderError} for a variable it has no value for, or when the result is not YAML.
 */
export function renderTemplate(file: string, text: string, values: TemplateValues): string {
  const header = `# Rendered from ${file} by \`npm run cluster:render\` (GATEWAY_URL=${values.GATEWAY_URL}): re-render rather than edit.`;
  const marked = TEMPLATE_MARKER.test(text) ? text.replace(TEMPLATE_MARKER, header) : `${header}\n${text}`;
  const rendered = marked.replace(VARIABLE, (whole, name: string, offset: number) => {
    if (name === "GATEWAY_URL") return values.GATEWAY_URL;
    const line = marked.slice(0, offset).split("\n").length;
    throw new RenderError("ERR_TEMPLATE_VARIABLE", `${file}:${line}: ${whole} has no value (the templates may use only \${GATEWAY_URL})`);
  });
  for (const doc of parseAllDocuments(rendered)) {
    if (doc.errors.length > 0) throw new RenderError("ERR_TEMPLATE_YAML", `${file}: not valid YAML once rendered: ${doc.errors[0]!.message}`);
  }
  return rendered;
}
