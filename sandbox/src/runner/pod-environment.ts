/**
 * The environment of a function process. On a cluster a pod's variables reach only its own
 * container; here the function is a process on the host, so a variable that the host's loader,
 * Node.js or OpenSSL honours, or one that rewires the pod (its token, secrets, port, handler),
 * would let a deployment run code on the host or act as another pod. Those are refused, and
 * the sandbox sets the pod's own values itself.
 */

/** Why a deployment may not set a variable, by exact name (compared without regard to case). */
const RESERVED_NAMES: ReadonlyMap<string, string> = new Map([
  ["TOKEN_MOUNT_PATH", "the sandbox points it at the pod's own projected token"],
  ["SECRET_MOUNT_PATH", "the sandbox points it at the pod's own secret volume"],
  ["HTTP_PORT", "the sandbox chooses where the pod listens"],
  ["HTTP_SOCKET", "the pod listens on the socket only its watchdog stand-in reaches"],
  ["HTTP_HOST", "pods listen on the sandbox's loopback address only"],
  ["HANDLER_PATH", "a pod runs the handler its image builds"],
  ["PATH", "a host process would look up programs with it"],
  ["HOME", "each pod gets a home directory of its own"],
  ["TMPDIR", "each pod gets a temporary directory of its own"],
  ["TMP", "each pod gets a temporary directory of its own"],
  ["TEMP", "each pod gets a temporary directory of its own"],
  ["GLIBC_TUNABLES", "the host's C library reads it at process start"],
]);

/** Why a deployment may not set a variable, by prefix (compared without regard to case). */
const RESERVED_PREFIXES: readonly (readonly [string, string])[] = [
  ["OPENFAAS_", "the sandbox sets the pod's identity and gateway; OPENFAAS_TOKEN_FILE would read another pod's token"],
  ["NODE_", "Node.js reads it at start (NODE_OPTIONS=--import runs code on the host)"],
  ["LD_", "the dynamic loader would load libraries into a host process"],
  ["DYLD_", "the macOS loader would load libraries into a host process"],
  ["OPENSSL_", "OpenSSL loads configuration and engines named by it"],
];

/** Host variables a pod keeps: locale and time zone (a container image sets them too); PATH to find programs. */
const INHERITED_FROM_HOST = ["PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT"];

/**
 * Why a deployment may not set the variable `name` here, or undefined when it may. Names are
 * compared without regard to case: some programs read either spelling, and no legitimate
 * function needs a second spelling of a reserved name.
 */
export function reservedVariable(name: string): string | undefined {
  const upper = name.toUpperCase();
  const exact = RESERVED_NAMES.get(upper);
  if (exact !== undefined) return exact;
  return RESERVED_PREFIXES.find(([prefix]) => upper.startsWith(prefix))?.[1];
}

/** The first reserved variable of `envVars` with the reason, or undefined. */
export function firstReservedVariable(envVars: Readonly<Record<string, string>>): { name: string; reason: string } | undefined {
  for (const name of Object.keys(envVars)) {
    const reason = reservedVariable(name);
    if (reason !== undefined) return { name, reason };
  }
  return undefined;
}

/** The host variables every pod process keeps (function or connector). */
export function hostEnvironment(host: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const key of INHERITED_FROM_HOST) if (host[key] !== undefined) inherited[key] = host[key];
  return inherited;
}

/** What the sandbox sets for one pod: its own paths, port, handler and identity. */
export interface PodSettings {
  name: string;
  namespace: string;
  gatewayUrl: string;
  /** The Unix socket the function's server listens on (`http_socket`): only its watchdog stand-in connects to it. */
  socket: string;
  handlerPath: string;
  tokenDir: string;
  secretDir: string;
  homeDir: string;
  tmpDir: string;
}

/**
 * The full environment of a pod's process: a few host variables, the deployment's own (which must
 * already be free of reserved names), then the pod's settings, which nothing can override.
 */
export function podEnvironment(envVars: Readonly<Record<string, string>>, pod: PodSettings, host: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const reserved = firstReservedVariable(envVars);
  if (reserved) throw new Error(`environment variable ${reserved.name} is not allowed in the sandbox: ${reserved.reason}`);
  return {
    ...hostEnvironment(host),
    ...envVars,
    HOME: pod.homeDir,
    TMPDIR: pod.tmpDir,
    HANDLER_PATH: pod.handlerPath,
    http_socket: pod.socket,
    OPENFAAS_NAME: pod.name,
    OPENFAAS_NAMESPACE: pod.namespace,
    OPENFAAS_URL: pod.gatewayUrl,
    token_mount_path: pod.tokenDir,
    secret_mount_path: pod.secretDir,
  };
}
