import { hasErrorCode } from "@node-ts-iam/sdk/kit";
import type { JanitorGateway } from "./gateway.js";

/** Only functions carrying this label are ever considered: the janitor never guesses. */
export const PREVIEW_LABEL = "node-ts-iam.dev/preview";
/** RFC 3339 time after which a preview function is removed. */
export const EXPIRES_ANNOTATION = "node-ts-iam.dev/expires-at";

/** What one sweep found and did. */
export interface SweepReport {
  dryRun: boolean;
  now: string;
  /** Expired preview functions removed (or, in a dry run, that would be). */
  deleted: { namespace: string; name: string; expiredAt: string }[];
  /** Preview functions not yet expired. */
  kept: { namespace: string; name: string; expiresAt: string }[];
  /** Preview functions whose expiry annotation is missing or not a time: left alone, reported. */
  invalid: { namespace: string; name: string; reason: string }[];
  /** Functions that vanished between list and delete (another actor was faster). */
  alreadyGone: { namespace: string; name: string }[];
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Lists each namespace and deletes preview functions whose expiry has passed. Namespaces and
 * functions are walked in sorted order so that a report is reproducible.
 */
export async function sweep(gw: JanitorGateway, namespaces: readonly string[], now: Date, dryRun: boolean): Promise<SweepReport> {
  const report: SweepReport = { dryRun, now: now.toISOString(), deleted: [], kept: [], invalid: [], alreadyGone: [] };
  for (const namespace of [...namespaces].sort()) {
    const functions = (await gw.getFunctions(namespace)).sort((a, b) => a.name.localeCompare(b.name));
    for (const fn of functions) {
      if (fn.labels?.[PREVIEW_LABEL] !== "true") continue;
      const expiresAt = fn.annotations?.[EXPIRES_ANNOTATION];
      if (expiresAt === undefined || !RFC3339.test(expiresAt) || Number.isNaN(Date.parse(expiresAt))) {
        report.invalid.push({ namespace, name: fn.name, reason: `missing or malformed ${EXPIRES_ANNOTATION}` });
        continue;
      }
      if (Date.parse(expiresAt) > now.getTime()) {
        report.kept.push({ namespace, name: fn.name, expiresAt });
        continue;
      }
      if (!dryRun) {
        try {
          await gw.deleteFunction(fn.name, namespace);
        } catch (error) {
          if (!hasErrorCode(error, "ERR_NOT_FOUND")) throw error;
          report.alreadyGone.push({ namespace, name: fn.name });
          continue;
        }
      }
      report.deleted.push({ namespace, name: fn.name, expiredAt: expiresAt });
    }
  }
  return report;
}
