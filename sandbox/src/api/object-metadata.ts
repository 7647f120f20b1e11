/**
 * The labels and annotations of an object (a function's deployment, a namespace), checked as the
 * Kubernetes API server checks them before faas-netes could store them
 * (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set,
 * .../annotations/#syntax-and-character-set). The number of entries and the length of each value are
 * capped by the request schemas (`DEPLOYMENT_CAPS`); what is checked here is what a schema cannot
 * say. Every refusal is a 400 whose `field` names the offending key.
 */
import { httpError } from "../http/errors.js";
import { shortKey } from "../schema/structural-schema.js";

/** Kubernetes caps the annotations of an object at 256 KiB in total (keys and values). */
export const MAX_ANNOTATION_BYTES = 256 * 1024;
/** A Kubernetes qualified name: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
const QUALIFIED_NAME = /^(?:([a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*)\/)?([A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
/** A Kubernetes label value: empty, or alphanumerics with `-`, `_`, `.` inside (length capped by the schema). */
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** 400 unless every key is a qualified name and every value a label value. */
export function checkLabels(labels: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(labels)) {
    checkQualifiedName(key, "labels");
    if (!LABEL_VALUE.test(value)) throw httpError(400, `label ${shortKey(key)}: the value must be empty or alphanumeric with '-', '_' or '.' inside`, { field: `labels.${shortKey(key)}` });
  }
}

/** 400 unless every key is a qualified name and keys and values hold at most {@link MAX_ANNOTATION_BYTES} together. */
export function checkAnnotations(annotations: Readonly<Record<string, string>>): void {
  let bytes = 0;
  for (const [key, value] of Object.entries(annotations)) {
    checkQualifiedName(key, "annotations");
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (bytes > MAX_ANNOTATION_BYTES) throw httpError(400, `annotations must hold at most ${MAX_ANNOTATION_BYTES} bytes in total`, { field: "annotations" });
}

function checkQualifiedName(key: string, map: "labels" | "annotations"): void {
  const m = QUALIFIED_NAME.exec(key);
  if (!m || (m[1] !== undefined && m[1].length > 253) || m[2]!.length > 63) {
    throw httpError(400, `${map} key ${shortKey(key)} is not a Kubernetes qualified name ([prefix/]name, name at most 63 characters)`, { field: `${map}.${shortKey(key)}` });
  }
}
