import { lstat, mkdir, readlink, rename, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

const DATA_LINK = "..data";
const DATA_TMP_LINK = "..data_tmp";

/** A directory name in the kubelet's style: `..2026_11_28_20_31_05.123456789`. */
function timestampDirName(now: Date, sequence: number): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const stamp = `${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}`;
  // The sequence keeps names unique when the time-scaled rotation writes twice in one millisecond.
  return `..${stamp}.${p(now.getUTCMilliseconds(), 3)}${p(sequence % 1_000_000, 6)}`;
}

let sequence = 0;

/**
 * Writes `files` into `dir` the way the kubelet's AtomicWriter does: a fresh hidden
 * `..<timestamp>/` directory, a `..data_tmp` symlink to it renamed onto `..data` (an atomic swap),
 * visible names as symlinks `name -> ..data/name`, and finally removal of the previous directory.
 */
export async function writeAtomically(dir: string, files: Record<string, string | Buffer>, mode = 0o600): Promise<void> {
  await mkdir(dir, { recursive: true });
  const previous = await readlink(join(dir, DATA_LINK)).catch(() => undefined);
  const fresh = timestampDirName(new Date(), ++sequence);
  await mkdir(join(dir, fresh), { mode: 0o755 });
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(dir, fresh, name), content, { mode });
  }
  await rm(join(dir, DATA_TMP_LINK), { force: true });
  await symlink(fresh, join(dir, DATA_TMP_LINK));
  await rename(join(dir, DATA_TMP_LINK), join(dir, DATA_LINK));
  for (const name of Object.keys(files)) {
    const visible = join(dir, name);
    const existing = await lstat(visible).catch(() => undefined);
    if (!existing) await symlink(join(DATA_LINK, name), visible);
  }
  if (previous && previous !== fresh) await rm(join(dir, previous), { recursive: true, force: true });
}
