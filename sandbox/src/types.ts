import type { SandboxConnector } from "./runner/connector-deployments.js";
import type { RunningConnector } from "./runner/connector-runner.js";

/** Options of {@link startSandbox}. Every field is optional. */
export interface SandboxOptions {
  /**
   * The project folder: its stack file, the IAM manifests (`functions/*\/iam/*.yaml` and each stack
   * function's `<handler>/iam/*.yaml`) and its `template/node-ts-iam/` are found under it. Default: this checkout.
   */
  root?: string;
  /**
   * Stack file; default: the root's `stack.yaml`, else its `stack.yml` (faas-cli's order), else none.
   * A file named here must exist; `null` runs no stack at all.
   */
  stackFile?: string | null;
  /** Extra manifest files or directories (multi-document YAML), loaded after the project's own. */
  manifestPaths?: string[];
  /** Interface to listen on; default `127.0.0.1`. */
  host?: string;
  /** Gateway port; 0 (the default) picks a free one. The CLI uses 8080. */
  port?: number;
  /** Port of the service account issuer (discovery and JWKS); 0 (the default) picks a free one. */
  issuerPort?: number;
  /** Directory for state, audit log, admin credential and pods; undefined = ephemeral (a temp dir removed on stop). */
  stateDir?: string | undefined;
  /** Sandbox time runs this many times faster: token rotation timers and access-token lifetimes are divided by it. Default 1. */
  timeScale?: number;
  /** Run functions as processes (default true); false records deployments without starting anything. */
  runFunctions?: boolean;
  /** Progress and warning lines; default: discarded. */
  log?: (line: string) => void;
  /**
   * The function server script. Default: the project's own template (`<root>/template/node-ts-iam/`,
   * what `faas-cli template pull` brought), compiled by the sandbox into its `dist/main.js`.
   */
  templateServer?: string;
  /** `expirationSeconds` of projected tokens (at least 600, Kubernetes' minimum); default 3600. */
  tokenExpirationSeconds?: number;
  /**
   * Connector deployments to run in namespace `openfaas`, each with its own identity: `true` for
   * those of `<root>/connectors/cron-connector/sandbox.yaml` (what `npm start` runs), or a list.
   * Default: none.
   */
  connectors?: boolean | SandboxConnector[];
  /** Load the project's IAM folders (default true); false loads only `manifestPaths`, e.g. to try a Policy in place of a shipped one. */
  functionManifests?: boolean;
  /**
   * Watch each stack function's folder (`--watch`): a changed file rebuilds it and restarts its
   * functions, alone; a failed build is logged and the running version keeps serving. Default false.
   */
  watch?: boolean;
  /**
   * A request not received whole (headers and body) within this many milliseconds is cut with a 408,
   * by the gateway and by every function's watchdog stand-in, so a client trickling a body cannot
   * hold a connection for ever. Default 60 000 (OpenFaaS: the gateway's and the watchdog's `read_timeout`).
   */
  readTimeoutMs?: number;
  /** Rotation of `<state>/audit.ndjson`: rotated past `maxBytes` (default 10 MiB), `keep` rotated files (default 4). */
  audit?: { maxBytes?: number; keep?: number };
}

/** What `Sandbox.issuer.mint` accepts: a TokenRequest for a service account. */
export interface MintRequest {
  namespace: string;
  serviceAccount: string;
  /** Default: the sandbox gateway URL (what the `kubernetes` JwtIssuer accepts). */
  audience?: string[] | string;
  /** At least 600 (Kubernetes' minimum); default 3600. */
  expirationSeconds?: number;
  podName?: string;
}

/** A function served by a process of the template server. */
export interface SandboxFunction {
  name: string;
  namespace: string;
  /**
   * URL of its pod: the watchdog stand-in in front of its process, to which the gateway proxies
   * `/function/<name>.<namespace>` (it serves `/_/health`, `/_/ready` and, with `jwt_auth=true`,
   * lets only function tokens through).
   */
  url: string;
  pid: number;
  /** Whether its deployment sets `jwt_auth=true`: it then answers only function tokens for it. */
  jwtAuth: boolean;
}

/** A running sandbox. */
export interface Sandbox {
  /** Gateway URL (also the `aud` projected tokens carry and the `iss` of access tokens). */
  url: string;
  /** File (mode 0600) holding the admin password; the username is `admin`. */
  adminCredentialFile: string;
  admin: { username: string; password: string };
  /** The Kubernetes-style service account token issuer. */
  issuer: {
    mint(request: MintRequest): Promise<string>;
    /** Local URL serving `/.well-known/openid-configuration` and `/openid/v1/jwks` (the JwtIssuer's issInternal). */
    url: string;
  };
  /** The projected token directory of a running function's pod (holds `openfaas-token`). */
  tokenDir(namespace: string, functionName: string): string | undefined;
  /** Functions currently served. */
  readonly functions: SandboxFunction[];
  /** Connectors currently running (name, namespace, pid, token directory, latest output lines). */
  readonly connectors: RunningConnector[];
  /** The service accounts the manifests declare (`<namespace>/<name>`): the ones `npm run token` can mint for, besides `default`. */
  readonly serviceAccounts: readonly string[];
  /** NDJSON audit log (the current file; rotated ones lie beside it): one line per authorisation or exchange decision. */
  auditLog: string;
  /** The id written as `run` on every audit line of this sandbox run. */
  auditRun: string;
  /** Stops every function process and server; removes the ephemeral directory. */
  stop(): Promise<void>;
}
