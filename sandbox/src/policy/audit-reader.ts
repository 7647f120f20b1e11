import { existsSync, statSync } from "node:fs";
import { open, readdir, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { AUDIT_FILE, auditFiles, type AuditLine } from "../audit-log.js";
import { PolicyToolError } from "./errors.js";

/** The longest line read: the sandbox's lines are well under a kilobyte or two. */
const MAX_LINE = 1024 * 1024;

/** How many malformed lines are quoted (by file and line number) in a report; all are counted. */
const MALFORMED_EXAMPLES = 5;

/** What reading the audit log found besides the decisions. */
export interface ScanStats {
  /** The files read, in the order read (each log's rotated files oldest first, then its current file). */
  files: string[];
  /** Decisions read (including those before `since`). */
  decisions: number;
  /** Decisions skipped for being older than `since`. */
  beforeSince: number;
  /** Lines that are not a decision (not JSON, missing or mistyped fields), skipped. */
  malformed: number;
  /** The first few malformed lines as `file:line: problem`. */
  malformedExamples: string[];
  /** A current file's last line without its newline: still being written, skipped. */
  incomplete: number;
}

/**
 * The audit logs named by `--audit` paths, each by its current file: a file (`audit.ndjson`, whose
 * rotated files beside it are read before it), a sandbox state folder holding one, or a folder of
 * such folders (as an e2e run that keeps its sandboxes' state leaves). Refuses a path where no
 * audit log is found.
 */
export async function auditLogsAt(paths: readonly string[]): Promise<string[]> {
  const logs: string[] = [];
  const hasLog = (current: string) => auditFiles(current).some((f) => existsSync(f));
  for (const path of paths) {
    if (!existsSync(path)) throw new PolicyToolError("NO_AUDIT_LOG", `no audit log at ${path}: start the sandbox (npm start), run your function's tests against it, then try again (or pass --audit)`);
    if (!statSync(path).isDirectory()) {
      logs.push(path);
      continue;
    }
    if (hasLog(join(path, AUDIT_FILE))) {
      logs.push(join(path, AUDIT_FILE));
      continue;
    }
    const nested = (await readdir(path, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => join(path, e.name, AUDIT_FILE))
      .filter(hasLog)
      .sort();
    if (nested.length === 0) throw new PolicyToolError("NO_AUDIT_LOG", `no audit log in ${path}: expected ${AUDIT_FILE} (a sandbox state folder such as .sandbox) or folders holding one`);
    logs.push(...nested);
  }
  return logs;
}

/** Parses one line; a string is the reason it is not a decision. */
export function parseAuditLine(text: string): AuditLine | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "not JSON";
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "not a JSON object";
  const v = value as Record<string, unknown>;
  if (typeof v["time"] !== "string" || !Number.isFinite(Date.parse(v["time"]))) return "time is not a timestamp";
  for (const field of ["subject", "action", "resource"]) if (typeof v[field] !== "string" || v[field] === "") return `${field} is not a non-empty string`;
  if (typeof v["allowed"] !== "boolean") return "allowed is not true or false";
  for (const field of ["reason", "run", "issuer"]) if (v[field] !== undefined && typeof v[field] !== "string") return `${field} is not a string`;
  if (v["policies"] !== undefined && !(Array.isArray(v["policies"]) && v["policies"].every((p) => typeof p === "string"))) return "policies is not a list of names";
  return v as unknown as AuditLine;
}

/**
 * Opens a log as one consistent sequence while the sandbox may be rotating it: the current file
 * first, then the rotated ones, oldest first, up to (not including) the one that is the current
 * file renamed since (same inode). An open file stays readable after a rename, so the files read
 * are contiguous: nothing between them is missed, and only the oldest can have been pruned.
 */
async function openLog(current: string): Promise<{ path: string; handle: FileHandle }[]> {
  const head = await open(current, "r").catch(() => undefined);
  const headInode = head ? (await head.stat()).ino : undefined;
  const out: { path: string; handle: FileHandle }[] = [];
  for (const path of auditFiles(current).slice(0, -1)) {
    const handle = await open(path, "r").catch(() => undefined);
    if (!handle) continue; // pruned meanwhile: it was the oldest
    if ((await handle.stat()).ino === headInode) {
      await handle.close();
      break;
    }
    out.push({ path, handle });
  }
  if (head) out.push({ path: current, handle: head });
  return out;
}

/**
 * Streams every decision of `logs` (each oldest file first) to `visit`, skipping (and counting)
 * malformed lines, a last line still being written, and decisions older than `since`.
 */
export async function scanAudit(logs: readonly string[], visit: (line: AuditLine) => void, since?: Date): Promise<ScanStats> {
  const stats: ScanStats = { files: [], decisions: 0, beforeSince: 0, malformed: 0, malformedExamples: [], incomplete: 0 };
  const sinceMs = since?.getTime();
  const malformed = (file: string, lineNo: number, problem: string) => {
    stats.malformed++;
    if (stats.malformedExamples.length < MALFORMED_EXAMPLES) stats.malformedExamples.push(`${file}:${lineNo}: ${problem}`);
  };
  const tooLong = (file: string, lineNo: number) => malformed(file, lineNo, `longer than ${MAX_LINE} characters`);
  for (const log of logs) {
    const opened = await openLog(log);
    try {
      for (const { path: file, handle } of opened) {
        stats.files.push(file);
        const isCurrent = file === log;
        let lineNo = 0;
        const take = (text: string) => {
          lineNo++;
          const line = parseAuditLine(text);
          if (typeof line === "string") {
            malformed(file, lineNo, line);
            return;
          }
          stats.decisions++;
          if (sinceMs !== undefined && Date.parse(line.time) < sinceMs) {
            stats.beforeSince++;
            return;
          }
          visit(line);
        };
        const decoder = new StringDecoder("utf8");
        let rest = "";
        let overlong = false;
        for await (const chunk of handle.createReadStream({ autoClose: false, start: 0 })) {
          const parts = (rest + decoder.write(chunk as Buffer)).split("\n");
          rest = parts.pop()!;
          for (const part of parts) {
            if (overlong) tooLong(file, ++lineNo);
            else take(part);
            overlong = false;
          }
          // A damaged file may hold no newline for megabytes: such a line is skipped, not buffered.
          if (rest.length > MAX_LINE) {
            overlong = true;
            rest = "";
          }
        }
        rest += decoder.end();
        if (overlong) {
          tooLong(file, ++lineNo);
          continue;
        }
        if (rest === "") continue;
        // The sandbox writes each line with its newline in one write: a current file ending in a
        // line that does not parse is one being written, not damage.
        if (isCurrent && typeof parseAuditLine(rest) === "string") stats.incomplete++;
        else take(rest);
      }
    } finally {
      await Promise.all(opened.map((o) => o.handle.close()));
    }
  }
  return stats;
}
