/**
 * The handler the image build chose (`dist/build/prepare.js`), recorded in the function folder so that
 * the server loads exactly that module and never guesses at start-up.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join, normalize, sep } from "node:path";

/** File name of the record, inside the function folder. */
export const ENTRY_RECORD_FILE = ".handler.json";

/** What the build chose. */
export interface EntryRecord {
  /** The module to load, relative to the function folder (`dist/handler.js`, `handler.js`, …). */
  readonly entry: string;
  /** The file it comes from (`handler.ts`, or the entry itself for JavaScript). */
  readonly source: string;
}

function isInside(path: string): boolean {
  const clean = normalize(path);
  return path !== "" && !isAbsolute(path) && clean !== ".." && !clean.startsWith(`..${sep}`);
}

/**
 * Reads the record of `functionDir`; `undefined` when there is none (a function built before the
 * record existed, or the repository layout).
 * @throws Error naming the file when it exists but is not a valid record.
 */
export function readEntryRecord(functionDir: string): EntryRecord | undefined {
  const file = join(functionDir, ENTRY_RECORD_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not JSON: rebuild the function`);
  }
  const record = value as Partial<EntryRecord> | null;
  if (typeof record?.entry !== "string" || !isInside(record.entry) || typeof record.source !== "string") {
    throw new Error(`${file} does not name a handler module inside the function folder: rebuild the function`);
  }
  return { entry: record.entry, source: record.source };
}

/** Writes the record of `functionDir`. */
export function writeEntryRecord(functionDir: string, record: EntryRecord): void {
  writeFileSync(join(functionDir, ENTRY_RECORD_FILE), `${JSON.stringify(record)}\n`);
}
