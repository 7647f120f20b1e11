const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** True for a Kubernetes object name that is an RFC 1123 label (at most 63 characters). */
export function isRfc1123Label(name: unknown): name is string {
  return typeof name === "string" && name.length <= 63 && RFC1123_LABEL.test(name);
}
