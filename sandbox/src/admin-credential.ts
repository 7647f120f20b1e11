import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { AdminCredential } from "./api/context.js";
import { writeFileAtomic } from "./state/atomic-file.js";

/** Generates the admin password and writes it (only the password, like OpenFaaS' `basic-auth-password`) to a 0600 file. */
export async function createAdminCredential(dir: string): Promise<{ credential: AdminCredential; file: string }> {
  const credential = { username: "admin", password: randomBytes(24).toString("base64url") };
  const file = join(dir, "admin-password");
  await writeFileAtomic(file, `${credential.password}\n`, 0o600);
  return { credential, file };
}
