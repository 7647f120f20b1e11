import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic-file.js";

/** The file in a state directory that tells other commands (`npm run token`) where the running sandbox listens. */
export const ENDPOINTS_FILE = "endpoints.json";

/** Where a running sandbox serves. */
export interface SandboxEndpoints {
  /** The gateway URL (the `iss` of its tokens, the audience of projected tokens). */
  gateway: string;
  /** The service account issuer: discovery, JWKS and the TokenRequest API. */
  issuer: string;
}

/** Records the endpoints of the sandbox that owns `dir`; resolves with the function that removes the record. */
export async function publishEndpoints(dir: string, endpoints: SandboxEndpoints): Promise<() => Promise<void>> {
  const file = join(dir, ENDPOINTS_FILE);
  await writeFileAtomic(file, `${JSON.stringify(endpoints)}\n`, 0o600);
  return () => rm(file, { force: true });
}

/** The endpoints recorded in `dir`, or `undefined` when there is no readable record. */
export async function readEndpoints(dir: string): Promise<SandboxEndpoints | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, ENDPOINTS_FILE), "utf8")) as Partial<SandboxEndpoints>;
    return typeof parsed.gateway === "string" && typeof parsed.issuer === "string" ? { gateway: parsed.gateway, issuer: parsed.issuer } : undefined;
  } catch {
    return undefined;
  }
}
