import { existsSync } from "node:fs";
import { loadManifests, type ManifestText } from "../iam/manifest-loader.js";
import { MIN_EXPIRATION_SECONDS } from "../issuer/service-account-issuer.js";
import { projectIamDirs } from "../project.js";
import { connectorIamManifests, readSandboxConnectors, renderSandboxConnectors } from "../runner/connector-deployments.js";
import type { IamManifests, PolicyObject, RoleObject } from "../iam/types.js";
import { loadStack, type Stack } from "../runner/stack.js";
import { SERVICE_ACCOUNT_ANNOTATION } from "../state/model.js";
import { DEFAULT_FUNCTION_NAMESPACE } from "../state/state-store.js";
import { PolicyToolError } from "./errors.js";

/** Who a Policy is suggested for: a token subject, and the stack function it is, if any. */
export interface Identity {
  /** `system:serviceaccount:<namespace>:<serviceaccount>` (access tokens carry it as `fed:` + this). */
  subject: string;
  function?: { name: string; namespace: string; serviceAccount: string };
}

/** The subject of a Kubernetes service account token (the `sub` the kube-apiserver signs). */
export function serviceAccountSubject(namespace: string, serviceAccount: string): string {
  return `system:serviceaccount:${namespace}:${serviceAccount}`;
}

/** The stack and the IAM manifests a command reads. */
export interface Project {
  stack: Stack;
  manifests: IamManifests;
}

/**
 * Where the IAM objects `npm start` loads for a project are: its IAM folders ({@link projectIamDirs})
 * and `extra`, and the connector deployments it declares, rendered as the sandbox renders them.
 */
export async function projectManifestSources(root: string, stack: Stack, extra: readonly string[]): Promise<{ paths: string[]; texts: ManifestText[] }> {
  // The connectors' IAM objects do not depend on the token lifetime; the renderer needs one.
  const texts = connectorIamManifests(renderSandboxConnectors(await readSandboxConnectors(root), MIN_EXPIRATION_SECONDS));
  return { paths: [...(await projectIamDirs(root, stack)), ...extra], texts };
}

/** The stack at `stackFile`, or an empty one when there is none. */
export async function loadStackIfAny(stackFile: string): Promise<Stack> {
  return existsSync(stackFile) ? await loadStack(stackFile) : { file: stackFile, functions: [] };
}

/** Reads the stack (if it exists) and the IAM objects `npm start` loads ({@link projectManifestSources}). */
export async function loadProject(root: string, stackFile: string, extra: readonly string[]): Promise<Project> {
  try {
    const stack = await loadStackIfAny(stackFile);
    const { paths, texts } = await projectManifestSources(root, stack, extra);
    const manifests = await loadManifests(paths, () => {}, texts);
    return { stack, manifests };
  } catch (err) {
    throw new PolicyToolError("BAD_MANIFESTS", (err as Error).message);
  }
}

/**
 * The identity of a stack function: its `com.openfaas.serviceaccount` in its namespace. Refuses a
 * function the stack does not have (naming those it has), one in another namespace than asked,
 * and one without a service account of its own (it would run as the namespace's `default`,
 * shared by every such function, so a Policy for it would grant them all).
 */
export function functionIdentity(stack: Stack, name: string, namespace?: string): Identity {
  const fn = stack.functions.find((f) => f.name === name);
  if (!fn) {
    const known = stack.functions.map((f) => f.name).join(", ") || "none";
    throw new PolicyToolError("UNKNOWN_FUNCTION", `function ${name} is not in ${stack.file} (its functions: ${known}); for an identity that is not a stack function, pass --subject system:serviceaccount:<namespace>:<name>`);
  }
  const fnNamespace = fn.namespace ?? DEFAULT_FUNCTION_NAMESPACE;
  if (namespace !== undefined && namespace !== fnNamespace) {
    throw new PolicyToolError("UNKNOWN_FUNCTION", `function ${name} is deployed to namespace ${fnNamespace} by ${stack.file}, not ${namespace}`);
  }
  const serviceAccount = fn.annotations[SERVICE_ACCOUNT_ANNOTATION];
  if (!serviceAccount) {
    throw new PolicyToolError(
      "UNKNOWN_FUNCTION",
      `function ${name} has no ${SERVICE_ACCOUNT_ANNOTATION} annotation in ${stack.file}: it runs as ${fnNamespace}/default, shared with every function without one, so a Policy for it would grant them all. Give it a service account of its own`,
    );
  }
  return { subject: serviceAccountSubject(fnNamespace, serviceAccount), function: { name, namespace: fnNamespace, serviceAccount } };
}

/** A subject as its token names it: the gateway's `fed:` prefix removed (`fed:system:serviceaccount:ns:sa` → `system:serviceaccount:ns:sa`). */
export function tokenSubject(subject: string): string {
  return subject.startsWith("fed:") ? subject.slice(4) : subject;
}

/** Checks a `--subject` value: a non-empty token subject without the gateway's `fed:` prefix. */
export function subjectIdentity(subject: string): Identity {
  if (subject.trim() === "" || /\s/.test(subject)) throw new PolicyToolError("USAGE", `--subject must be a token subject such as system:serviceaccount:ci:deployer (got ${JSON.stringify(subject)})`);
  return { subject: tokenSubject(subject) };
}

/** The Roles whose principal names `subject`, and the Policies they bind (in Role order). */
export interface Binding {
  roles: RoleObject[];
  policies: PolicyObject[];
  /** Policy names a Role binds that no manifest defines (they grant nothing). */
  missing: string[];
  /** Issuers the Roles' `jwt:iss` conditions accept (StringEqual/StringEquals), in order. */
  issuers: string[];
}

/**
 * What the manifests grant `subject`: the Roles naming it as principal (a Role matched by a
 * condition alone names nobody and cannot be attributed), and their Policies.
 */
export function bindingOf(manifests: IamManifests, subject: string): Binding {
  const roles = manifests.roles.filter((r) => r.spec.principal?.["jwt:sub"]?.includes(subject));
  const names = [...new Set(roles.flatMap((r) => r.spec.policy ?? []))];
  const policies = names.map((n) => manifests.policies.find((p) => p.name === n)).filter((p): p is PolicyObject => p !== undefined);
  const missing = names.filter((n) => !manifests.policies.some((p) => p.name === n));
  const issuers = [...new Set(roles.flatMap((r) => [...(r.spec.condition?.["StringEqual"]?.["jwt:iss"] ?? []), ...(r.spec.condition?.["StringEquals"]?.["jwt:iss"] ?? [])]))];
  return { roles, policies, missing, issuers };
}
