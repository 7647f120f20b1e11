import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import type { StackFunction, StackResources } from "./stack.js";

/**
 * The `PUT`/`POST /system/functions` body that `faas-cli deploy -f stack.yml` (0.18.12, no flags)
 * sends for one stack function, so the sandbox's start-up deploy stores what a real deploy would
 * and `faas-cli diff` finds nothing to report. It is Go's `types.FunctionDeployment` marshalled
 * with its `omitempty` tags (openfaas/faas-provider `types/function_deployment.go`, built in
 * openfaas/faas-cli `proxy/deploy.go`): `labels` and `annotations` are always objects; `envVars`,
 * `secrets`, `constraints`, `namespace` and `envProcess` are left out when empty; `limits` and
 * `requests` appear only with a memory or cpu value; `readOnlyRootFilesystem` only when true.
 * `envProcess` is the stack's `fprocess`, else the template's (faas-cli's `deriveFprocess`).
 */
export function faasCliDeployRequest(f: StackFunction, templateFprocess: string | undefined): Record<string, unknown> {
  const envProcess = f.fprocess || templateFprocess;
  const limits = resourceRequest(f.limits);
  const requests = resourceRequest(f.requests);
  return {
    service: f.name,
    image: f.image,
    ...(f.namespace ? { namespace: f.namespace } : {}),
    ...(envProcess ? { envProcess } : {}),
    ...(Object.keys(f.environment).length > 0 ? { envVars: { ...f.environment } } : {}),
    ...(f.constraints && f.constraints.length > 0 ? { constraints: [...f.constraints] } : {}),
    ...(f.secrets.length > 0 ? { secrets: [...f.secrets] } : {}),
    labels: { ...f.labels },
    annotations: { ...f.annotations },
    ...(limits ? { limits } : {}),
    ...(requests ? { requests } : {}),
    ...(f.readOnlyRootFilesystem ? { readOnlyRootFilesystem: true } : {}),
  };
}

function resourceRequest(r: StackResources | undefined): StackResources | undefined {
  const out: StackResources = {};
  if (r?.memory) out.memory = r.memory;
  if (r?.cpu) out.cpu = r.cpu;
  return out.memory || out.cpu ? out : undefined;
}

/**
 * The `fprocess` of template `lang`, read from `<dir>/template/<lang>/template.yml` in the first of
 * `dirs` that has it (faas-cli reads `./template/<lang>/template.yml`); undefined for `dockerfile`
 * or when no template is found.
 */
export async function templateFprocess(dirs: readonly string[], lang: string): Promise<string | undefined> {
  if (lang === "" || lang.toLowerCase() === "dockerfile") return undefined;
  for (const dir of dirs) {
    const text = await readFile(join(dir, "template", lang, "template.yml"), "utf8").catch(() => undefined);
    if (text === undefined) continue;
    const doc = parse(text) as { fprocess?: unknown } | null;
    return typeof doc?.fprocess === "string" && doc.fprocess !== "" ? doc.fprocess : undefined;
  }
  return undefined;
}
