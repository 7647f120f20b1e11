import { resolve } from "node:path";
import { expect } from "vitest";
import { startSandbox } from "../../sandbox/src/index.js";
import { validateStructure, type StructuralSchema } from "../../sandbox/src/schema/structural-schema.js";
import type { Sandbox, SandboxOptions } from "../../sandbox/src/types.js";

export const FIXTURES = resolve(import.meta.dirname, "fixtures");
export const FIXTURE_ROOT = resolve(FIXTURES, "root");
/** The real template server (built by `npm run build`): the functions run exactly as in `npm start`. */
export const TEMPLATE_SERVER = resolve(import.meta.dirname, "../../template/node-ts-iam/dist/main.js");
export const GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
export const ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token";

/** A sandbox over the fixture root; functions off unless asked for. */
export function startFixtureSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({ root: FIXTURE_ROOT, runFunctions: false, templateServer: TEMPLATE_SERVER, ...options });
}

/** Fails the test with the violations when `value` does not fit `schema`. */
export function expectSchema(value: unknown, schema: StructuralSchema): void {
  expect(validateStructure(value, schema)).toEqual([]);
}

/** POSTs a form to /oauth/token. */
export async function exchange(url: string, fields: Record<string, string> | URLSearchParams, query = ""): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const res = await fetch(`${url}/oauth/token${query}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: fields instanceof URLSearchParams ? fields : new URLSearchParams(fields),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, text };
}

/** Exchanges a subject token for an access token (expects success). */
export async function accessTokenFor(url: string, subjectToken: string): Promise<string> {
  const r = await exchange(url, { grant_type: GRANT, subject_token_type: ID_TOKEN, subject_token: subjectToken });
  expect(r.status, r.text).toBe(200);
  return String(r.body["access_token"]);
}

/** A JSON request with an Authorization header. */
export async function call(url: string, method: string, path: string, auth: string, body?: unknown): Promise<{ status: number; json: unknown; text: string; headers: Headers }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: auth, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

/** The claims of a JWT, decoded without verifying it. */
export { decodeJwt as claimsOf } from "jose";

/** Runs a command in the repository root to its end; never rejects on a non-zero exit. */
export { runCommand } from "../functions/support/command.js";

export const basic = (s: Sandbox): string => `Basic ${Buffer.from(`${s.admin.username}:${s.admin.password}`).toString("base64")}`;
export const bearer = (token: string): string => `Bearer ${token}`;

/** Whether a process with this pid exists (one helper for every suite: the template support's). */
export { alive } from "../template/support/process.js";
