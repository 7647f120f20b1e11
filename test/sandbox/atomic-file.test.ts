import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileAtomic } from "../../sandbox/src/state/atomic-file.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sandbox-atomic-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("writeFileAtomic", () => {
  it("replaces the file with the new content and the given mode, leaving nothing else", async () => {
    const file = join(dir, "state.json");
    await writeFileAtomic(file, "old");
    await writeFileAtomic(file, "new", 0o600);
    expect(await readFile(file, "utf8")).toBe("new");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["state.json"]);
  });

  it("keeps the old content and leaves no temp file when the write fails", async () => {
    const file = join(dir, "state.json");
    // A value the file handle cannot write stands in for an I/O error in the middle of the write.
    await expect(writeFileAtomic(file, 42 as unknown as string)).rejects.toThrow();
    expect(await readFile(file, "utf8")).toBe("new");
    expect(await readdir(dir)).toEqual(["state.json"]);
  });
});
