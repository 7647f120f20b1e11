import { randomBytes } from "node:crypto";
import { closeSync, fstatSync, openSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** The audit log's current file in a sandbox state folder (rotated files lie beside it). */
export const AUDIT_FILE = "audit.ndjson";

/** One authorisation or exchange decision. */
export interface AuditEntry {
  subject: string;
  action: string;
  resource: string;
  allowed: boolean;
  reason?: string;
  /** `iss` of the token the subject came with (`fed:iss` of an access token), when known. */
  issuer?: string;
  /** The policy names the caller's token carries, when it is a token. */
  policies?: string[];
}

/** One line of the audit log: an entry plus when and in which sandbox run it was decided. */
export interface AuditLine extends AuditEntry {
  time: string;
  /** The sandbox run that wrote it; absent in lines written before runs were recorded. */
  run?: string;
}

/** Size and count limits of the audit log. */
export interface AuditLogOptions {
  /** The current file is rotated before a line would take it past this size; default 10 MiB, at least 1 KiB. */
  maxBytes?: number;
  /** Rotated files kept besides the current one (older ones are deleted); default 4. */
  keep?: number;
  /** Where a failed rotation is reported (the line is still written, to the current file). */
  warn?: (line: string) => void;
}

/** Default size at which the current file is rotated. */
export const DEFAULT_AUDIT_MAX_BYTES = 10 * 1024 * 1024;
/** Default number of rotated files kept: with the current one, at most 5 × 10 MiB on disk. */
export const DEFAULT_AUDIT_KEEP = 4;
/** The smallest rotation size accepted (a smaller one would rotate at nearly every line). */
export const MIN_AUDIT_MAX_BYTES = 1024;

/** `audit.ndjson` → stem `audit`, extension `.ndjson`. */
function nameParts(current: string): { stem: string; ext: string } {
  const base = basename(current);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? { stem: base.slice(0, dot), ext: base.slice(dot) } : { stem: base, ext: "" };
}

/** `audit.ndjson` → `audit.000042.ndjson`: the rotated name of sequence number `seq` (larger is newer). */
function rotatedName(current: string, seq: number): string {
  const { stem, ext } = nameParts(current);
  return join(dirname(current), `${stem}.${String(seq).padStart(6, "0")}${ext}`);
}

/** The rotated files of the log at `current`, oldest first, with their sequence numbers. */
function rotatedFiles(current: string): { seq: number; path: string }[] {
  const { stem, ext } = nameParts(current);
  const pattern = new RegExp(`^${escape(stem)}\\.(\\d{6,})${escape(ext)}$`);
  let names: string[];
  try {
    names = readdirSync(dirname(current));
  } catch {
    return [];
  }
  return names
    .map((n) => ({ m: pattern.exec(n), n }))
    .filter((x): x is { m: RegExpExecArray; n: string } => x.m !== null)
    .map(({ m, n }) => ({ seq: Number(m[1]), path: join(dirname(current), n) }))
    .sort((a, b) => a.seq - b.seq);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Every file of the audit log whose current file is `current`, oldest first: the rotated files
 * (`audit.000001.ndjson`, …) in sequence order, then the current one (which may not exist).
 */
export function auditFiles(current: string): string[] {
  return [...rotatedFiles(current).map((f) => f.path), current];
}

/** A short random id naming one sandbox run in every line it writes. */
export function newRunId(): string {
  return randomBytes(6).toString("hex");
}

/**
 * Appends one NDJSON line per decision (`time`, `run`, `subject`, `action`, `resource`, `allowed`,
 * `reason`, and `issuer`/`policies` when the caller came with a token). Each line is written
 * synchronously before the decision takes effect, so the file is complete whenever a response has
 * been sent (and survives a crash of the gateway right after); one synchronous write per line from
 * the one event-loop thread means lines never interleave or tear.
 *
 * The log is bounded: before a line would take the current file past `maxBytes`, the file is renamed
 * (atomically) to the next `audit.<seq>.ndjson` and a new one is started; only the newest `keep`
 * rotated files are kept. Numbering continues across restarts, so the folder stays bounded however
 * often the sandbox starts.
 */
export class AuditLog {
  /** The id written as `run` on every line of this sandbox run. */
  readonly run: string;
  readonly maxBytes: number;
  readonly keep: number;
  private fd: number | undefined;
  private size: number;
  private seq: number;
  /** Size past which the next line rotates the file: maxBytes, raised after a failed rotation. */
  private limit: number;
  private readonly warn: (line: string) => void;

  constructor(
    readonly path: string,
    options: AuditLogOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? DEFAULT_AUDIT_MAX_BYTES;
    this.keep = options.keep ?? DEFAULT_AUDIT_KEEP;
    if (!Number.isSafeInteger(this.maxBytes) || this.maxBytes < MIN_AUDIT_MAX_BYTES) throw new RangeError(`audit maxBytes must be an integer of at least ${MIN_AUDIT_MAX_BYTES} (got ${this.maxBytes})`);
    if (!Number.isSafeInteger(this.keep) || this.keep < 0) throw new RangeError(`audit keep must be a whole number of files, 0 or more (got ${this.keep})`);
    this.warn = options.warn ?? (() => {});
    this.limit = this.maxBytes;
    this.run = newRunId();
    this.seq = rotatedFiles(path).at(-1)?.seq ?? 0;
    this.fd = openSync(path, "a", 0o600);
    this.size = fstatSync(this.fd).size;
  }

  /** Appends one decision (with the time and this run's id), rotating first if the line would not fit. */
  record(entry: AuditEntry): void {
    if (this.fd === undefined) return;
    const line = Buffer.from(`${JSON.stringify({ time: new Date().toISOString(), run: this.run, ...entry })}\n`);
    // A line larger than maxBytes on its own still goes into a file of its own rather than being lost.
    if (this.size > 0 && this.size + line.length > this.limit) this.rotate();
    let written = 0;
    while (written < line.length) written += writeSync(this.fd, line, written);
    this.size += line.length;
  }

  /** Renames the current file to the next sequence number, starts a new one, deletes the oldest beyond `keep`. */
  private rotate(): void {
    const next = rotatedName(this.path, this.seq + 1);
    try {
      renameSync(this.path, next);
    } catch (err) {
      // Keep writing to the current file: a larger file is better than a lost decision. The next
      // attempt waits for another maxBytes, so a folder that refuses renames is not retried (and
      // warned about) at every line.
      this.limit = this.size + this.maxBytes;
      this.warn(`audit: could not rotate ${this.path} to ${next}: ${(err as Error).message}; writing on to it`);
      return;
    }
    this.limit = this.maxBytes;
    this.seq++;
    closeSync(this.fd!);
    this.fd = openSync(this.path, "a", 0o600);
    this.size = 0;
    const rotated = rotatedFiles(this.path);
    for (const old of rotated.slice(0, Math.max(0, rotated.length - this.keep))) rmSync(old.path, { force: true });
  }

  /** Closes the file; later records are dropped. */
  async close(): Promise<void> {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

const SIZE_UNITS: Record<string, number> = { "": 1, B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** Parses a size such as `10MiB`, `512KiB` or `4096` (bytes) into bytes; undefined when it is not one. */
export function parseByteSize(text: string): number | undefined {
  const m = /^(\d+)\s*(B|KiB|MiB|GiB)?$/.exec(text.trim());
  if (!m) return undefined;
  const bytes = Number(m[1]) * SIZE_UNITS[m[2] ?? ""]!;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
