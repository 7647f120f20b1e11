import { randomBytes, timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import type { AdminCredential } from "./api/context.js";
import { writeFileAtomic } from "./state/atomic-file.js";

/** The file in a state folder that holds the admin password (user {@link ADMIN_USER}). */
export const ADMIN_PASSWORD_FILE = "admin-password";
/** The admin's user name, as on a Community Edition gateway. */
export const ADMIN_USER = "admin";

/** Generates the admin password and writes it (only the password, like OpenFaaS' `basic-auth-password`) to a 0600 file. */
export async function createAdminCredential(dir: string): Promise<{ credential: AdminCredential; file: string }> {
  const credential = { username: ADMIN_USER, password: randomBytes(24).toString("base64url") };
  const file = join(dir, ADMIN_PASSWORD_FILE);
  await writeFileAtomic(file, `${credential.password}\n`, 0o600);
  return { credential, file };
}

/** The user and password of a `Basic` credential (the part after the scheme, base64). */
export function decodeBasic(value: string): { user: string; password: string } {
  const decoded = Buffer.from(value, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? { user: decoded, password: "" } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Whether `user` and `password` are the admin credential, compared in constant time. */
export function isAdminCredential(admin: AdminCredential, user: string, password: string): boolean {
  return safeEqual(user, admin.username) && safeEqual(password, admin.password);
}

/** Whether an `Authorization` header carries the admin credential with basic auth. */
export function hasAdminCredential(admin: AdminCredential, header: string | undefined): boolean {
  const match = /^basic +(.*)$/i.exec(header ?? "");
  if (!match) return false;
  const { user, password } = decodeBasic(match[1]!.trim());
  return isAdminCredential(admin, user, password);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
