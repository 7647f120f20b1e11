/** Argument checks: names end up in URL paths, so anything but a valid name is refused up front. */
import { InvalidArgumentError } from "./errors.js";
import { isLabel } from "./validate.js";

/** @internal Throws unless `name` is an RFC 1123 label (functions, namespaces). */
export function requireLabel(name: unknown, what: string): string {
  if (typeof name !== "string" || !isLabel(name)) {
    throw new InvalidArgumentError(`${what} must be an RFC 1123 label (lower-case letters, digits and '-', at most 63 characters)`);
  }
  return name;
}

/** @internal Like {@link requireLabel} but `undefined` and `""` pass (gateway default namespace). */
export function optionalLabel(name: unknown, what: string): string | undefined {
  if (name === undefined || name === "") return undefined;
  return requireLabel(name, what);
}

const SUBDOMAIN = /^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/;

/** @internal Secret names are DNS subdomains (dots allowed), at most 253 characters. */
export function requireSecretName(name: unknown): string {
  if (typeof name !== "string" || name.length > 253 || !SUBDOMAIN.test(name)) {
    throw new InvalidArgumentError("secret name must be a DNS subdomain (lower-case letters, digits, '-' and '.')");
  }
  return name;
}
