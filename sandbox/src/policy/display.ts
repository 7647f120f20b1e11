import { relative } from "node:path";

/** A path as a person reads it: relative to the current folder when inside it, else as given. */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== "" && !rel.startsWith("..") ? rel : path;
}

/** An object's `source` (`<file>#<document>`) with the file shown as {@link shownPath} does. */
export function shownSource(source: string): string {
  const m = /^(.*?)(#\d+)?$/.exec(source)!;
  return `${m[1]!.startsWith("/") ? shownPath(m[1]!) : m[1]!}${m[2] ?? ""}`;
}
