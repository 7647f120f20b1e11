import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createAdminCredential, hasAdminCredential } from "./admin-credential.js";
import { buildRouter, createGatewayServer } from "./api/gateway-server.js";
import type { GatewayContext } from "./api/context.js";
import { AUDIT_FILE, AuditLog } from "./audit-log.js";
import { DEFAULT_READ_TIMEOUT_MS } from "./http/read-timeout.js";
import { AccessTokenService } from "./iam/access-tokens.js";
import { loadManifests } from "./iam/manifest-loader.js";
import { PolicyEngine } from "./iam/policy-engine.js";
import { SubjectVerifier } from "./iam/subject-verifier.js";
import { kubernetesJwtIssuer, trustedIssuers } from "./iam/kubernetes-jwt-issuer.js";
import { MIN_EXPIRATION_SECONDS, ServiceAccountIssuer } from "./issuer/service-account-issuer.js";
import { tokenRequestRoute } from "./issuer/token-requests.js";
import { LogStore } from "./logs/log-store.js";
import { FunctionRunner } from "./runner/function-runner.js";
import { validateDeployment } from "./api/deployment-request.js";
import { HttpError } from "./http/errors.js";
import { faasCliDeployRequest, templateFprocess } from "./runner/stack-deployment.js";
import { loadStack, RUNNABLE_LANG, StackError, type Stack, type StackFunction } from "./runner/stack.js";
import { SERVICE_ACCOUNT_ANNOTATION, type FunctionDeployment, type FunctionRecord } from "./state/model.js";
import { ENDPOINTS_FILE, publishEndpoints } from "./state/endpoints.js";
import { claimStateDir } from "./state/owner-lock.js";
import { DEFAULT_FUNCTION_NAMESPACE, managedNamespace, StateStore } from "./state/state-store.js";
import { stopOrphanedPods } from "./runner/orphan-pods.js";
import { CONNECTOR_SCRIPT, connectorIamManifests, readSandboxConnectors, renderSandboxConnectors } from "./runner/connector-deployments.js";
import { ConnectorRunner } from "./runner/connector-runner.js";
import { prepareTemplate, projectTemplateDir } from "./runner/template-build.js";
import { listenOn } from "./runner/listen.js";
import { watchFunctions } from "./runner/watch.js";
import { findStackFile, projectIamDirs, STACK_FILE_NAMES } from "./project.js";
import type { Sandbox, SandboxOptions } from "./types.js";

/** This checkout's root (sandbox/src or sandbox/dist → ../..). */
const DEFAULT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The pod guard, compiled (tests import the sources, but a function process needs JavaScript). */
const POD_GUARD = join(DEFAULT_ROOT, "sandbox", "dist", "runner", "pod-guard.js");

/**
 * Starts the sandbox: the service account issuer, the IAM gateway and, unless `runFunctions` is
 * false, one process per `node-ts-iam` function of the stack with a projected token.
 * Rejects (naming file, object and field) when a manifest is invalid.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const log = options.log ?? (() => {});
  const root = resolve(options.root ?? DEFAULT_ROOT);
  const host = options.host ?? "127.0.0.1";
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new RangeError(`timeScale must be a positive number (got ${timeScale})`);
  const readTimeoutMs = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  if (!Number.isSafeInteger(readTimeoutMs) || readTimeoutMs < 1) throw new RangeError(`readTimeoutMs must be a whole number of milliseconds, at least 1 (got ${readTimeoutMs})`);
  const tokenExpirationSeconds = options.tokenExpirationSeconds ?? 3600;
  if (tokenExpirationSeconds < MIN_EXPIRATION_SECONDS) throw new RangeError(`tokenExpirationSeconds must be at least ${MIN_EXPIRATION_SECONDS}, as Kubernetes enforces`);

  const stack = await openStack(root, options.stackFile, log);
  const manifestPaths = [...(options.functionManifests === false ? [] : await projectIamDirs(root, stack)), ...(options.manifestPaths ?? [])];
  // Connector deployments bring their own IAM objects, rendered as for a cluster and loaded like any manifest.
  const connectorInstances = options.connectors === true ? await readSandboxConnectors(root) : options.connectors || [];
  const connectors = renderSandboxConnectors(connectorInstances, tokenExpirationSeconds);
  const connectorIam = connectorIamManifests(connectors);
  log(`loading IAM manifests from ${manifestPaths.length + connectorIam.length} path(s)`);
  const manifests = await loadManifests(manifestPaths, log, connectorIam);
  log(`loaded ${manifests.issuers.length} JwtIssuer(s), ${manifests.policies.length} Policy(ies), ${manifests.roles.length} Role(s), ${manifests.serviceAccounts.length} ServiceAccount(s)`);

  const ephemeral = options.stateDir === undefined;
  const dataDir = ephemeral ? await mkdtemp(join(tmpdir(), "node-ts-iam-sandbox-")) : resolve(options.stateDir!);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const releaseStateDir = await claimStateDir(dataDir);
  const runDir = join(dataDir, "run");
  const cleanups: (() => Promise<void>)[] = [releaseStateDir];
  let store: StateStore;
  try {
    // A sandbox killed with kill -9 may have left function processes (ones that could not notice): stop
    // them, and forget its endpoints, which `npm run token` would otherwise try while this one starts.
    await rm(join(dataDir, ENDPOINTS_FILE), { force: true });
    const orphans = await stopOrphanedPods(runDir, log);
    if (orphans.length > 0) log(`stopped ${orphans.length} function process(es) left by an earlier run`);
    await rm(runDir, { recursive: true, force: true });
    await mkdir(runDir, { recursive: true, mode: 0o700 });
    store = await StateStore.open(ephemeral ? undefined : dataDir);
  } catch (err) {
    await releaseStateDir();
    if (ephemeral) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }

  let stopped: Promise<void> | undefined;
  // Idempotent: a second stop() waits for the first.
  const cleanup = () =>
    (stopped ??= (async () => {
      for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
      if (ephemeral) await rm(dataDir, { recursive: true, force: true });
    })());
  try {
    const issuer = await ServiceAccountIssuer.start({ host, port: options.issuerPort ?? 0 });
    cleanups.push(() => issuer.stop());
    log(`service account issuer (kube-apiserver stand-in) at ${issuer.url}`);
    const accessTokens = await AccessTokenService.create();
    const engine = new PolicyEngine(manifests.policies, manifests.roles);
    const verifier = new SubjectVerifier([]);
    const logs = new LogStore();
    const audit = new AuditLog(join(dataDir, AUDIT_FILE), { ...options.audit, warn: log });
    cleanups.push(() => audit.close());
    const { credential, file: adminCredentialFile } = await createAdminCredential(dataDir);

    let gatewayUrl = "";
    const stackImages = new Map<string, StackFunction>();
    for (const f of stack.functions) if (f.lang === RUNNABLE_LANG) stackImages.set(f.image, f);
    // The project's own template serves its functions (built here with the sandbox's tools), unless a
    // test names a server; without functions to run, nothing needs it.
    const runsFunctions = (options.runFunctions ?? true) && stackImages.size > 0;
    const serverScript = options.templateServer ?? (runsFunctions ? await prepareTemplate(projectTemplateDir(root), log) : "");
    const runner = new FunctionRunner({
      runDir,
      serverScript,
      guardScript: POD_GUARD,
      socketDir: await podSocketDir(runDir, cleanups),
      stackImages,
      issuer,
      gatewayUrl: () => gatewayUrl,
      functionTokenKeys: () => ({ issuer: accessTokens.issuer, jwks: accessTokens.jwks }),
      timeScale,
      tokenExpirationSeconds,
      logs,
      enabled: options.runFunctions ?? true,
      secretValue: (ns, name) => {
        const s = store.secret(name, ns);
        return s ? Buffer.from(s.valueBase64, "base64") : undefined;
      },
      log,
      readTimeoutMs,
    });
    cleanups.push(() => runner.stopAll());

    const ctx: GatewayContext = { store, runner, logs, engine, accessTokens, admin: credential, audit, invocations: new Map(), log };
    const server = createGatewayServer(buildRouter(ctx, { verifier, accessTokens, engine, timeScale }), log, readTimeoutMs);
    await listenOn(server, "port", host, options.port ?? 0);
    cleanups.push(() => closeServer(server));
    const { port } = server.address() as AddressInfo;
    gatewayUrl = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    accessTokens.setGatewayUrl(gatewayUrl);

    // The Helm chart's issuer, so shipped manifests work unchanged.
    verifier.setIssuers(trustedIssuers(kubernetesJwtIssuer(gatewayUrl, issuer.url), manifests.issuers, log));
    log(`gateway listening at ${gatewayUrl}`);
    // `kubectl create token` for the sandbox (`npm run token`): the operator asks the issuer for a
    // service account's token, and finds the issuer through the state directory.
    issuer.handleAlso((req, res, path) =>
      tokenRequestRoute(req, res, path, {
        authorized: (header) => hasAdminCredential(credential, header),
        // Kubernetes gives every namespace a `default` service account; the others must be declared.
        serviceAccountExists: (namespace, name) => name === "default" || manifests.serviceAccounts.some((sa) => sa.namespace === namespace && sa.name === name),
        defaultAudiences: () => [gatewayUrl],
        mint: (request, now) => issuer.mint(request, now),
      }),
    );
    cleanups.push(await publishEndpoints(dataDir, { gateway: gatewayUrl, issuer: issuer.url }));

    await deployStack(stack, [root, DEFAULT_ROOT], store, log);
    warnOnUndeclaredServiceAccounts(stack, manifests.serviceAccounts, log);
    if (options.runFunctions ?? true) {
      for (const record of store.functions) {
        const d = record.deployment;
        if (record.replicas === 0 || !runner.isRunnable(d.image)) continue;
        log(`starting function ${d.service}.${d.namespace} (building the handler if needed)`);
        try {
          await runner.apply(record);
          log(`function ${d.service}.${d.namespace} is ready`);
        } catch (err) {
          log(`function ${d.service}.${d.namespace} did not start: ${(err as Error).message}`);
        }
      }
    }

    if (options.watch) {
      const watcher = watchFunctions({ stackImages, records: () => store.functions, runner, log });
      cleanups.push(async () => watcher.close());
    }

    const connectorRunner = new ConnectorRunner({
      runDir,
      script: join(DEFAULT_ROOT, CONNECTOR_SCRIPT),
      guardScript: POD_GUARD,
      issuer,
      gatewayUrl: () => gatewayUrl,
      timeScale,
      log,
    });
    cleanups.push(() => connectorRunner.stopAll());
    for (const spec of connectors.specs) {
      log(`starting connector ${spec.namespace}/${spec.name} (service account ${spec.serviceAccount})`);
      await connectorRunner.start(spec);
    }

    return {
      url: gatewayUrl,
      adminCredentialFile,
      admin: { ...credential },
      issuer: {
        url: issuer.url,
        mint: (r) =>
          issuer.mint({
            namespace: r.namespace,
            serviceAccount: r.serviceAccount,
            audience: r.audience ?? [gatewayUrl],
            ...(r.expirationSeconds !== undefined ? { expirationSeconds: r.expirationSeconds } : {}),
            ...(r.podName !== undefined ? { podName: r.podName } : {}),
          }),
      },
      tokenDir: (ns, fn) => runner.tokenDir(ns, fn),
      get functions() {
        return runner.list();
      },
      get connectors() {
        return connectorRunner.list();
      },
      serviceAccounts: manifests.serviceAccounts.map((sa) => `${sa.namespace}/${sa.name}`),
      auditLog: audit.path,
      auditRun: audit.run,
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** The longest Unix socket path the sandbox makes (Linux allows 107 bytes, macOS 103). */
const MAX_SOCKET_PATH = 100;

/**
 * The folder for the pods' sockets (mode 0700, so no other user reaches them): `<run>/sockets`, or, when
 * the state folder is so deep that a socket path there would be too long, a temporary folder of its
 * own, removed on stop.
 */
async function podSocketDir(runDir: string, cleanups: (() => Promise<void>)[]): Promise<string> {
  let dir = join(runDir, "sockets");
  if (join(dir, "0123456789ab.sock").length > MAX_SOCKET_PATH) {
    dir = await mkdtemp(join(tmpdir(), "nti-"));
    const made = dir;
    cleanups.push(() => rm(made, { recursive: true, force: true }));
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/**
 * The stack to deploy: `stackFile` (an explicit file must exist), none for `null`, else the root's own
 * as faas-cli finds it ({@link findStackFile}); a root without one starts the gateway alone, and says so.
 */
async function openStack(root: string, stackFile: string | null | undefined, log: (line: string) => void): Promise<Stack> {
  if (stackFile === null) return { file: "(none)", functions: [] };
  const file = stackFile ?? findStackFile(root);
  if (file === undefined) {
    log(`no ${STACK_FILE_NAMES.join(" or ")} in ${root}: starting the gateway without functions`);
    return { file: join(root, STACK_FILE_NAMES[0]), functions: [] };
  }
  if (!existsSync(file)) throw new StackError(file, "(file)", "does not exist");
  const stack = await loadStack(file);
  log(`stack ${file}: ${stack.functions.length} function(s)`);
  return stack;
}

/**
 * Deploys the stack as `faas-cli deploy -f` would: each function's request body is the one faas-cli
 * sends ({@link faasCliDeployRequest}) and passes the API's own validation, so a stack the API would
 * refuse (a reserved variable such as NODE_OPTIONS, a bad quantity) stops start-up naming the file,
 * function and field. Creates the stack's namespaces (managed) and records the functions.
 */
async function deployStack(stack: Stack, templateDirs: readonly string[], store: StateStore, log: (line: string) => void): Promise<void> {
  // Every function is checked before anything is stored: a refused stack changes no state.
  const deployments: FunctionDeployment[] = [];
  for (const f of stack.functions) {
    try {
      deployments.push(validateDeployment(faasCliDeployRequest(f, await templateFprocess(templateDirs, f.lang))));
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      throw new StackError(stack.file, stackField(f.name, String(err.body["field"] ?? "")), err.message);
    }
    if (f.lang !== RUNNABLE_LANG) log(`stack function ${f.name} has lang ${f.lang}; it is recorded but only ${RUNNABLE_LANG} functions run here`);
  }
  for (const deployment of deployments) {
    const { service, namespace } = deployment;
    if (!store.namespace(namespace)) {
      log(`creating namespace ${namespace}`);
      await store.mutate((s) => void s.namespaces.push(managedNamespace(namespace)));
    }
    const missing = deployment.secrets.filter((s) => !store.secret(s, namespace));
    if (missing.length > 0) log(`function ${service}: secret(s) ${missing.join(", ")} not found in ${namespace}; their files will be absent until created (POST /system/secrets)`);
    const existing = store.function(service, namespace);
    const record: FunctionRecord = { deployment, replicas: existing?.replicas ?? 1, createdAt: existing?.createdAt ?? new Date().toISOString() };
    await store.mutate((s) => {
      s.functions = [...s.functions.filter((x) => !(x.deployment.service === service && x.deployment.namespace === namespace)), record];
    });
  }
}

/** The stack field behind a deployment field (`envVars.NODE_OPTIONS` → `functions.fn.environment.NODE_OPTIONS`). */
function stackField(fn: string, field: string): string {
  const renamed: Record<string, string> = { envVars: "environment", envProcess: "fprocess", readOnlyRootFilesystem: "readonly_root_filesystem", service: "" };
  const m = /^([A-Za-z]+)(.*)$/.exec(field);
  if (!m) return `functions.${fn}`;
  const head = renamed[m[1]!] ?? m[1]!;
  return `functions.${fn}${head === "" ? "" : `.${head}`}${m[2]}`;
}

/** Kubernetes refuses a pod whose service account does not exist; the sandbox warns instead. */
function warnOnUndeclaredServiceAccounts(stack: Stack, declared: { name: string; namespace: string }[], log: (line: string) => void): void {
  for (const f of stack.functions) {
    const sa = f.annotations[SERVICE_ACCOUNT_ANNOTATION];
    const namespace = f.namespace ?? DEFAULT_FUNCTION_NAMESPACE;
    if (sa && !declared.some((d) => d.name === sa && d.namespace === namespace)) {
      log(`function ${f.name}: ServiceAccount ${namespace}/${sa} is not in the manifests (a cluster would refuse the pod); the sandbox mints its token anyway`);
    }
  }
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
