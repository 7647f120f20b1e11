import { listenOn } from "../runner/listen.js";
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";
import { isRfc1123Label } from "../names.js";

/**
 * The issuer Kubernetes writes into service account tokens inside a cluster (the API server's usual
 * `--service-account-issuer`; the OpenFaaS chart's default `iam.kubernetesIssuer.url`).
 */
export const KUBERNETES_ISSUER = "https://kubernetes.default.svc.cluster.local";

/** Kubernetes refuses projected tokens that live shorter than this (seconds). */
export const MIN_EXPIRATION_SECONDS = 600;
/** Kubernetes caps requested lifetimes at 2^32 seconds. */
export const MAX_EXPIRATION_SECONDS = 2 ** 32;

/** The claims of a service account token that depend only on the request (no pod, no uids, no jti). */
export interface ServiceAccountClaims {
  iss: string;
  sub: string;
  aud: string[];
  iat: number;
  nbf: number;
  exp: number;
  "kubernetes.io": { namespace: string; serviceaccount: { name: string } };
}

/**
 * The claims the API server writes into every token of `namespace/serviceAccount`
 * (https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#bound-service-account-tokens);
 * {@link ServiceAccountIssuer.mint} adds the `jti`, the account's `uid` and the pod a projected token
 * is bound to. `policy explain` models a `--subject` with these.
 */
export function serviceAccountClaims(iss: string, namespace: string, serviceAccount: string, audience: string[], iat: number, expirationSeconds: number): ServiceAccountClaims {
  return {
    iss,
    sub: `system:serviceaccount:${namespace}:${serviceAccount}`,
    aud: audience,
    iat,
    nbf: iat,
    exp: iat + expirationSeconds,
    "kubernetes.io": { namespace, serviceaccount: { name: serviceAccount } },
  };
}

/** What a TokenRequest asks for, as the kubelet sends it for a projected volume. */
export interface TokenRequest {
  namespace: string;
  serviceAccount: string;
  /** Audiences (`aud`); default: the issuer's default audience. */
  audience?: string[] | string;
  /** Lifetime in seconds, at least 600 (Kubernetes' minimum). Default 3600 as for a projected volume. */
  expirationSeconds?: number;
  /** Pod the token is bound to; default a generated `<sa>-<random>` name. */
  podName?: string;
  podUid?: string;
}

/**
 * A stand-in for the kube-apiserver's service account token issuer: RS256 keys, OIDC discovery at
 * `/.well-known/openid-configuration` and keys at `/openid/v1/jwks`, served on its own local port
 * (the `issInternal` a JwtIssuer points at, since the in-cluster `iss` is not resolvable here).
 */
export class ServiceAccountIssuer {
  readonly iss: string;
  private readonly defaultAudience: string[];
  private privateKey!: CryptoKey;
  private publicJwk!: JWK;
  private server: Server | undefined;
  private baseUrl = "";
  private extraRoute: ((req: IncomingMessage, res: ServerResponse, path: string) => boolean) | undefined;
  private readonly serviceAccountUids = new Map<string, string>();

  private constructor(iss: string, defaultAudience: string[]) {
    this.iss = iss;
    this.defaultAudience = defaultAudience;
  }

  /** Generates a key pair and starts the discovery server on `host` and `port` (default 0: any free port). */
  static async start(options: { iss?: string; defaultAudience?: string[]; host?: string; port?: number } = {}): Promise<ServiceAccountIssuer> {
    const issuer = new ServiceAccountIssuer(options.iss ?? KUBERNETES_ISSUER, options.defaultAudience ?? []);
    const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
    issuer.privateKey = privateKey;
    const jwk = await exportJWK(publicKey);
    // Like the API server, the key id is derived from the public key itself.
    issuer.publicJwk = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: "RS256", use: "sig" };
    await issuer.listen(options.host ?? "127.0.0.1", options.port ?? 0);
    return issuer;
  }

  /** Local base URL serving discovery and JWKS (what `issInternal` points at). */
  get url(): string {
    return this.baseUrl;
  }

  /** The key id of the signing key. */
  get kid(): string {
    return this.publicJwk.kid ?? "";
  }

  /** The public key set served at `/openid/v1/jwks`. */
  get jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  /**
   * Mints a projected service account token with the claims the API server writes
   * (https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#bound-service-account-tokens).
   */
  async mint(request: TokenRequest, now: Date = new Date()): Promise<string> {
    const { namespace, serviceAccount } = request;
    if (!isRfc1123Label(namespace)) throw new TypeError(`namespace "${namespace}" is not an RFC 1123 label`);
    if (!isRfc1123Label(serviceAccount)) throw new TypeError(`service account "${serviceAccount}" is not an RFC 1123 label`);
    const expirationSeconds = request.expirationSeconds ?? 3600;
    if (!Number.isInteger(expirationSeconds) || expirationSeconds < MIN_EXPIRATION_SECONDS || expirationSeconds > MAX_EXPIRATION_SECONDS) {
      throw new RangeError(
        `expirationSeconds must be an integer between ${MIN_EXPIRATION_SECONDS} and ${MAX_EXPIRATION_SECONDS} (got ${expirationSeconds})`,
      );
    }
    const audience = request.audience === undefined ? this.defaultAudience : [request.audience].flat();
    if (audience.length === 0) throw new TypeError("a token needs at least one audience");
    const iat = Math.floor(now.getTime() / 1000);
    const podName = request.podName ?? `${serviceAccount}-${randomUUID().slice(0, 8)}`;
    const claims = serviceAccountClaims(this.iss, namespace, serviceAccount, audience, iat, expirationSeconds);
    return this.sign({
      ...claims,
      jti: randomUUID(),
      "kubernetes.io": {
        namespace,
        serviceaccount: { name: serviceAccount, uid: this.serviceAccountUid(namespace, serviceAccount) },
        pod: { name: podName, uid: request.podUid ?? randomUUID() },
      },
    });
  }

  /**
   * Signs arbitrary claims with the issuer's key (header `alg: RS256` + `kid`). For tests that need
   * tokens Kubernetes would never mint (expired, wrong audience, ...).
   */
  async sign(claims: JWTPayload, header: { kid?: string; typ?: string } = {}): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: header.kid ?? this.kid, ...(header.typ ? { typ: header.typ } : {}) }).sign(this.privateKey);
  }

  /**
   * Adds one more API to the issuer's server (the TokenRequest API): `route` serves the request and
   * returns true, or returns false to leave it to discovery and JWKS.
   */
  handleAlso(route: (req: IncomingMessage, res: ServerResponse, path: string) => boolean): void {
    this.extraRoute = route;
  }

  /** Stops the discovery server. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private serviceAccountUid(namespace: string, name: string): string {
    const key = `${namespace}/${name}`;
    let uid = this.serviceAccountUids.get(key);
    if (!uid) {
      uid = randomUUID();
      this.serviceAccountUids.set(key, uid);
    }
    return uid;
  }

  private async listen(host: string, port: number): Promise<void> {
    const server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0]!;
      if (this.extraRoute?.(req, res, path)) return;
      let body: unknown;
      if (req.method === "GET" && path === "/.well-known/openid-configuration") {
        body = {
          issuer: this.iss,
          jwks_uri: `${this.baseUrl}/openid/v1/jwks`,
          response_types_supported: ["id_token"],
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: ["RS256"],
        };
      } else if (req.method === "GET" && path === "/openid/v1/jwks") {
        body = this.jwks;
      }
      const text = JSON.stringify(body ?? { message: `not found: ${req.method} ${path}` });
      res.writeHead(body ? 200 : 404, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.end(text);
    });
    await listenOn(server, "issuerPort", host, port);
    const bound = (server.address() as AddressInfo).port;
    this.server = server;
    this.baseUrl = `http://${host.includes(":") ? `[${host}]` : host}:${bound}`;
  }
}
