import { closeSync, openSync, writeSync } from "node:fs";

/** One authorisation or exchange decision. */
export interface AuditEntry {
  subject: string;
  action: string;
  resource: string;
  allowed: boolean;
  reason?: string;
}

/**
 * Appends one NDJSON line per decision (`time`, `subject`, `action`, `resource`, `allowed`, `reason`).
 * Each line is written synchronously before the decision takes effect, so the file is complete
 * whenever a response has been sent (and survives a crash of the gateway right after).
 */
export class AuditLog {
  private fd: number | undefined;

  constructor(readonly path: string) {
    this.fd = openSync(path, "a", 0o600);
  }

  record(entry: AuditEntry): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, `${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
  }

  /** Closes the file; later records are dropped. */
  async close(): Promise<void> {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
