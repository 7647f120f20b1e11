import { randomBytes } from "node:crypto";

/** The longest wait before a crashed pod's process is started again. */
const MAX_RESTART_DELAY_MS = 30_000;

/** A new pod name for a workload, shaped like a Deployment's pods: `<name>-<8 hex>-<5 hex>`. */
export function podName(workload: string): string {
  return `${workload}-${randomBytes(4).toString("hex")}-${randomBytes(3).toString("hex").slice(0, 5)}`;
}

/** The wait before restart number `restarts + 1`, like a pod's `restartPolicy: Always`: 1 s doubling, at most 30 s. */
export function restartDelayMs(restarts: number): number {
  return Math.min(MAX_RESTART_DELAY_MS, 1000 * 2 ** restarts);
}
