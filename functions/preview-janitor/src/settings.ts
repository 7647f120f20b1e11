import { isDnsLabel } from "@node-ts-iam/sdk/kit";

/** preview-janitor's settings: read once from the environment, when the function loads. */
export interface JanitorSettings {
  /** `JANITOR_NAMESPACES` (comma or space separated names): the namespaces swept; its IAM policy must cover exactly these. */
  namespaces: string[];
}

/**
 * Reads the settings. A missing or malformed value throws, naming the variable, so that a janitor
 * without namespaces fails to load instead of sweeping nothing quietly.
 */
export function readSettings(env: Readonly<Record<string, string | undefined>> = process.env): JanitorSettings {
  const names = (env["JANITOR_NAMESPACES"] ?? "").split(/[\s,]+/).filter(Boolean);
  if (names.length === 0) throw new Error("JANITOR_NAMESPACES must name at least one namespace");
  for (const name of names) if (!isDnsLabel(name)) throw new Error(`JANITOR_NAMESPACES: "${name}" is not a namespace name`);
  return { namespaces: names };
}
