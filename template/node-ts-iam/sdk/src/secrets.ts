/** Secrets (`/system/secrets`): listed without values; written with `value` or base64 `rawValue`. */
import { InvalidArgumentError } from "./errors.js";
import { optionalLabel, requireSecretName } from "./names.js";
import type { CallOptions, Pipeline } from "./request.js";
import type { Secret, SecretDescription } from "./types.js";
import { expectArray, expectObject, fields, optional, parseJsonBody, str } from "./validate.js";

const SECRET_DESCRIPTION_FIELDS = fields({ namespace: "string" });

/** @internal */
export async function getSecrets(p: Pipeline, namespace: string | undefined, options?: CallOptions): Promise<SecretDescription[]> {
  const ns = optionalLabel(namespace, "namespace");
  const res = await p.call({ method: "GET", path: "/system/secrets", query: { namespace: ns }, auth: "client" }, options);
  return expectArray(parseJsonBody(res), res, "secrets").map((s, i) => {
    const obj = expectObject(s, res, `secrets[${i}]`);
    str(obj, "name", res, `secrets[${i}]`);
    optional(obj, SECRET_DESCRIPTION_FIELDS, res, `secrets[${i}]`);
    // Only the description is returned, even if a gateway were to include values.
    return obj.namespace === undefined || obj.namespace === null
      ? { name: obj.name as string }
      : { name: obj.name as string, namespace: obj.namespace as string };
  });
}

function secretBody(secret: Secret): Secret {
  if (typeof secret !== "object" || secret === null) throw new InvalidArgumentError("secret must be an object");
  const name = requireSecretName(secret.name);
  const namespace = optionalLabel(secret.namespace, "namespace");
  if (secret.value !== undefined && typeof secret.value !== "string") throw new InvalidArgumentError("secret value must be a string");
  if (secret.rawValue !== undefined && (typeof secret.rawValue !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(secret.rawValue))) {
    throw new InvalidArgumentError("secret rawValue must be base64");
  }
  if (secret.value === undefined && secret.rawValue === undefined) throw new InvalidArgumentError("secret needs a value or a rawValue");
  return {
    name,
    ...(namespace ? { namespace } : {}),
    ...(secret.value !== undefined ? { value: secret.value } : {}),
    ...(secret.rawValue !== undefined ? { rawValue: secret.rawValue } : {}),
  };
}

/** @internal */
export async function createSecret(p: Pipeline, secret: Secret, options?: CallOptions): Promise<number> {
  return (await p.call({ method: "POST", path: "/system/secrets", json: secretBody(secret), auth: "client" }, options)).status;
}

/** @internal */
export async function updateSecret(p: Pipeline, secret: Secret, options?: CallOptions): Promise<number> {
  return (await p.call({ method: "PUT", path: "/system/secrets", json: secretBody(secret), auth: "client" }, options)).status;
}

/** @internal */
export async function deleteSecret(p: Pipeline, name: string, namespace: string | undefined, options?: CallOptions): Promise<void> {
  const secretName = requireSecretName(name);
  const ns = optionalLabel(namespace, "namespace");
  await p.call({ method: "DELETE", path: "/system/secrets", json: { name: secretName, ...(ns ? { namespace: ns } : {}) }, auth: "client" }, options);
}
