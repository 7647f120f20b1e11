import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

let counter = 0;

/**
 * Replaces `path` with `content` so that after a crash the file holds either the old or the new
 * content, never a mix: write a temp file beside it, fsync it, rename it over, fsync the directory.
 */
export async function writeFileAtomic(path: string, content: string | Buffer, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${++counter}.tmp`);
  const handle = await open(temp, "w", mode);
  try {
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    // A failed write (disk full, I/O error) must not leave a temp file behind either.
    await rm(temp, { force: true });
    throw err;
  }
  const dirHandle = await open(dir, "r");
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
