/**
 * A small fake OpenFaaS gateway on 127.0.0.1:0 for handler unit tests with the real SDK: the RFC 8693
 * token endpoint (accepting one subject token), bearer checks, in-memory namespaces, functions and
 * secrets, and a deny-list answering 403 like the IAM gateway. Records every API call.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

interface Fn {
  name: string;
  namespace: string;
  image: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  envVars: Record<string, string>;
  secrets: string[];
  replicas: number;
}

export interface FakeGatewayServer {
  url: string;
  calls: string[];
  namespaces: Map<string, { name: string; labels: Record<string, string>; annotations: Record<string, string> }>;
  functions: Map<string, Fn>;
  secrets: Map<string, string>;
  /** From now on only `token` is a valid access token (and the one the token endpoint issues). */
  rotateAccessToken(token: string): void;
  close(): Promise<void>;
}

/** Starts the fake. `subjectToken` is the only accepted subject token; `denied` namespaces answer 403. */
export async function startFakeGateway(options: { subjectToken: string; accessToken: string; denied: string[] }): Promise<FakeGatewayServer> {
  const calls: string[] = [];
  let accessToken = options.accessToken;
  const namespaces = new Map<string, { name: string; labels: Record<string, string>; annotations: Record<string, string> }>();
  for (const name of ["dev", "staging"]) namespaces.set(name, { name, labels: { openfaas: "1" }, annotations: { openfaas: "1" } });
  const functions = new Map<string, Fn>();
  const secrets = new Map<string, string>();

  const send = (res: ServerResponse, status: number, body?: unknown): void => {
    res.writeHead(status, body === undefined ? {} : { "content-type": "application/json" });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://x");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const method = req.method ?? "GET";

    if (url.pathname === "/oauth/token" && method === "POST") {
      const form = new URLSearchParams(raw);
      if (form.get("subject_token") !== options.subjectToken) return send(res, 400, { error: "invalid_request", error_description: "subject token rejected" });
      return send(res, 200, { access_token: accessToken, token_type: "Bearer", expires_in: 3600, issued_token_type: "urn:ietf:params:oauth:token-type:id_token" });
    }
    if (req.headers.authorization !== `Bearer ${accessToken}`) return send(res, 401, { message: "unauthorized" });

    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const ns = String(url.searchParams.get("namespace") ?? body["namespace"] ?? "");
    calls.push(`${method} ${url.pathname} ${ns}`);
    const deny = (namespace: string): boolean => {
      if (!options.denied.includes(namespace)) return false;
      send(res, 403, { message: `forbidden: may not act on ${namespace}:*` });
      return true;
    };
    const key = (n: string, name: string): string => `${n}/${name}`;
    const view = (f: Fn) => ({ ...f });

    const p = url.pathname;
    if (p === "/system/namespaces" && method === "GET") return send(res, 200, [...namespaces.keys()].filter((n) => !options.denied.includes(n)));
    if (p.startsWith("/system/namespace/")) {
      const name = decodeURIComponent(p.slice("/system/namespace/".length)) || String(body["name"] ?? "");
      if (deny(name)) return;
      if (method === "GET") return namespaces.has(name) ? send(res, 200, namespaces.get(name)) : send(res, 404, { message: "namespace not found" });
      if (method === "POST") {
        if (namespaces.has(name)) return send(res, 409, { message: "namespace exists" });
        namespaces.set(name, { name, labels: (body["labels"] as Record<string, string>) ?? {}, annotations: (body["annotations"] as Record<string, string>) ?? {} });
        return send(res, 201);
      }
      if (method === "PUT") {
        namespaces.set(name, { name, labels: (body["labels"] as Record<string, string>) ?? {}, annotations: (body["annotations"] as Record<string, string>) ?? {} });
        return send(res, 202);
      }
      if (method === "DELETE") return namespaces.delete(name) ? send(res, 202) : send(res, 404, { message: "namespace not found" });
    }
    if (deny(ns)) return;
    if (!namespaces.has(ns) && p !== "/system/namespaces") return send(res, 404, { message: `namespace ${ns} not found` });
    if (p === "/system/functions") {
      if (method === "GET") return send(res, 200, [...functions.values()].filter((f) => f.namespace === ns).map(view));
      const name = String(body["service"] ?? body["functionName"] ?? "");
      const exists = functions.has(key(ns, name));
      if (method === "DELETE") return exists && functions.delete(key(ns, name)) ? send(res, 202) : send(res, 404, { message: "function not found" });
      if (method === "POST" && exists) return send(res, 409, { message: "function exists" });
      if (method === "PUT" && !exists) return send(res, 404, { message: "function not found" });
      functions.set(key(ns, name), {
        name,
        namespace: ns,
        image: String(body["image"]),
        labels: (body["labels"] as Record<string, string>) ?? {},
        annotations: (body["annotations"] as Record<string, string>) ?? {},
        envVars: (body["envVars"] as Record<string, string>) ?? {},
        secrets: (body["secrets"] as string[]) ?? [],
        replicas: 1,
      });
      return send(res, 202);
    }
    if (p.startsWith("/system/function/") && method === "GET") {
      const f = functions.get(key(ns, decodeURIComponent(p.slice("/system/function/".length))));
      return f ? send(res, 200, view(f)) : send(res, 404, { message: "function not found" });
    }
    if (p.startsWith("/system/scale-function/") && method === "POST") {
      const f = functions.get(key(ns, decodeURIComponent(p.slice("/system/scale-function/".length))));
      if (!f) return send(res, 404, { message: "function not found" });
      f.replicas = Number(body["replicas"]);
      return send(res, 202);
    }
    if (p === "/system/secrets") {
      const name = String(body["name"] ?? "");
      if (method === "GET") return send(res, 200, [...secrets.keys()].filter((k) => k.startsWith(`${ns}/`)).map((k) => ({ name: k.slice(ns.length + 1), namespace: ns })));
      if (method === "POST") {
        if (secrets.has(key(ns, name))) return send(res, 409, { message: "secret exists" });
        secrets.set(key(ns, name), String(body["value"] ?? body["rawValue"]));
        return send(res, 201);
      }
      if (method === "PUT") {
        if (!secrets.has(key(ns, name))) return send(res, 404, { message: "secret not found" });
        secrets.set(key(ns, name), String(body["value"] ?? body["rawValue"]));
        return send(res, 202);
      }
      if (method === "DELETE") return secrets.delete(key(ns, name)) ? send(res, 202) : send(res, 404, { message: "secret not found" });
    }
    return send(res, 404, { message: "no route" });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, { message: "fake gateway error" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    namespaces,
    functions,
    secrets,
    rotateAccessToken: (token) => {
      accessToken = token;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
