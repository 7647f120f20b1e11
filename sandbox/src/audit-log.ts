import { createWriteStream, type WriteStream } from "node:fs";

/** One authorisation or exchange decision. */
export interface AuditEntry {
  subject: string;
  action: string;
  resource: string;
  allowed: boolean;
  reason?: string;
}

/** Appends one NDJSON line per decision (`time`, `subject`, `action`, `resource`, `allowed`, `reason`). */
export class AuditLog {
  private readonly stream: WriteStream;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { flags: "a", mode: 0o600 });
  }

  record(entry: AuditEntry): void {
    this.stream.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.stream.end(() => resolve()));
  }
}
