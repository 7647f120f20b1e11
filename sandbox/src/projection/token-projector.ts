import { rm } from "node:fs/promises";
import { writeAtomically } from "./atomic-writer.js";

/** File name of the projected token inside `token_mount_path` (openfaas/go-sdk v0.3.0 `iam_auth.go`: /var/secrets/tokens/openfaas-token). */
export const TOKEN_FILE_NAME = "openfaas-token";

/** The kubelet refreshes at 80 % of the token's lifetime, plus up to 10 s of jitter. */
const REFRESH_FRACTION = 0.8;
const MAX_JITTER_SECONDS = 10;
/** After a failed refresh the kubelet keeps the old token and retries sooner. */
const RETRY_FRACTION = 0.05;

/** Settings of one projected token volume. */
export interface TokenProjectorOptions {
  /** Directory mounted at the function's `token_mount_path`. */
  dir: string;
  /** Requests a fresh token (a TokenRequest to the issuer). */
  mint: () => Promise<string>;
  /** The lifetime requested for each token, in seconds. */
  expirationSeconds: number;
  /** Sandbox time runs this many times faster than real time (rotation timers divide by it). */
  timeScale?: number;
  /** Called after each successful write (tests wait on it) and on refresh errors. */
  onRotate?: (generation: number) => void;
  onError?: (err: Error) => void;
}

/**
 * Keeps one pod's projected token fresh, like the kubelet's token manager: writes it with the
 * `..data` swap layout, rewrites it at 80 % of its lifetime (+ jitter), keeps the last good token
 * when minting fails.
 */
export class TokenProjector {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private generation = 0;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly options: TokenProjectorOptions) {}

  /** The directory holding `openfaas-token`. */
  get dir(): string {
    return this.options.dir;
  }

  /** How many tokens have been written so far. */
  get rotations(): number {
    return this.generation;
  }

  /** Writes the first token and schedules rotation. Rejects if the first token cannot be minted. */
  async start(): Promise<void> {
    await this.rotate(true);
  }

  /** Stops rotating; with `removeDir`, deletes the token directory (the pod is gone). */
  async stop(removeDir = true): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.writing.catch(() => undefined);
    if (removeDir) await rm(this.options.dir, { recursive: true, force: true });
  }

  private async rotate(first = false): Promise<void> {
    if (this.stopped) return;
    const scale = this.options.timeScale ?? 1;
    try {
      const token = await this.options.mint();
      if (this.stopped) return;
      this.writing = writeAtomically(this.options.dir, { [TOKEN_FILE_NAME]: token }, 0o644);
      await this.writing;
      this.generation++;
      this.options.onRotate?.(this.generation);
      const seconds = this.options.expirationSeconds * REFRESH_FRACTION + Math.random() * MAX_JITTER_SECONDS;
      this.schedule((seconds * 1000) / scale);
    } catch (err) {
      if (first) throw err;
      this.options.onError?.(err as Error);
      this.schedule((this.options.expirationSeconds * RETRY_FRACTION * 1000) / scale);
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.rotate(), Math.max(1, ms));
    this.timer.unref();
  }
}
