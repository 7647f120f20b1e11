import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StateStore } from "../../sandbox/src/state/state-store.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sandbox-state-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("state store", () => {
  it("refuses a damaged state.json naming the file, without quoting its content (it holds secret values)", async () => {
    const canary = "c2VjcmV0Q2FuYXJ5NDJ4";
    await writeFile(join(dir, "state.json"), `{"version":1,"secrets":[{"name":"k","namespace":"dev","valueBase64":"${canary}"}], oops`);
    const err = await StateStore.open(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(join(dir, "state.json"));
    expect((err as Error).message).toContain("not valid JSON");
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).not.toContain(canary);
    expect(String((err as Error).cause ?? "")).not.toContain(canary);
  });
});
