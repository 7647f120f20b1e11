/**
 * The server's settings, read once at start from the environment (the watchdog's and node22's names).
 */
import { resolve } from "node:path";
import { readEntryRecord } from "./entry-record.js";

/** Everything the server reads from its environment. */
export interface ServerSettings {
  /** Listening port (`http_port`, default 3000: the watchdog's `upstream_url`). */
  readonly port: number;
  /** Listening address (`http_host`, default 127.0.0.1: only the watchdog in the same pod reaches it). */
  readonly host: string;
  /**
   * A Unix socket to listen on instead of `host:port` (`http_socket`): the sandbox runs functions as
   * processes on one machine, where a loopback port is open to every local program and web page, and a
   * socket in a private folder is open to the pod's watchdog stand-in alone. Unset in the image.
   */
  readonly socket?: string;
  /** Readiness path (`ready_path`, default `/_/ready`). */
  readonly readyPath: string;
  /** `RAW_BODY=true`: every body is a Buffer. */
  readonly rawBody: boolean;
  /** `MAX_RAW_SIZE` in bytes (default 100kb). */
  readonly maxRawSize: number;
  /** `MAX_JSON_SIZE` in bytes (default 100kb). */
  readonly maxJsonSize: number;
  /** Limit for text and urlencoded bodies: fixed at 100kb as in node22. */
  readonly maxTextSize: number;
  /** `ETAG=true`: answers carry node22's weak ETag and conditional GETs may answer 304 (etag.ts). */
  readonly etag: boolean;
  /** How long a SIGTERM drain may take (`write_timeout`, default 10s as the watchdog's). */
  readonly drainTimeoutMs: number;
  /**
   * Whether of-watchdog started the server: its `fprocess` (or `function_process`) is in the
   * environment, which the watchdog passes on to the process it starts. Only then does shutdown wait for
   * a forwarder (see lifecycle.ts).
   */
  readonly behindWatchdog: boolean;
  /**
   * How long to keep serving as usual after SIGTERM (`healthcheck_interval`, the watchdog's own setting,
   * inherited from the image). The watchdog forwards SIGTERM at once but goes on accepting and proxying
   * requests for `healthcheck_interval`; closing the listener earlier would turn those into 500s. Unset,
   * it is `write_timeout` behind the watchdog, as in of-watchdog's config (`healthcheckInterval :=
   * writeTimeout`), and 0 without one (nothing forwards then).
   */
  readonly shutdownGraceMs: number;
  /**
   * Absolute path of the handler module: `HANDLER_PATH`, else the entry the image build recorded in
   * `function/.handler.json`, else `../function/dist/handler.js` from `dist/main.js`.
   */
  readonly handlerPath: string;
}

/** body-parser's default limit. */
const DEFAULT_LIMIT = 100 * 1024;

const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
  tb: 1024 ** 4,
  pb: 1024 ** 5,
};

/**
 * Parses a size as body-parser's `bytes` does: `100kb`, `1.5mb`, `2048` (bytes); units are 1024-based
 * and case-insensitive.
 * @throws Error naming the variable when the value is not a size (node22 silently dropped the limit).
 */
export function parseSize(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|pb)?\s*$/i.exec(value);
  if (!match) throw new Error(`${name}: "${value}" is not a size (examples: 100kb, 1mb, 2048)`);
  const unit = SIZE_UNITS[(match[2] ?? "b").toLowerCase()] ?? 1;
  return Math.floor(Number(match[1]) * unit);
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration as the watchdog does: Go syntax (`10s`, `1m30s`, `500ms`) or a bare number of seconds.
 * @throws Error naming the variable when the value is not a duration.
 */
export function parseDuration(name: string, value: string | undefined, fallbackMs: number): number {
  if (value === undefined || value.trim() === "") return fallbackMs;
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text) * 1000;
  const part = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = part.exec(text); m; m = part.exec(text)) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] ?? "s"] ?? 1000);
    consumed = part.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length) {
    throw new Error(`${name}: "${value}" is not a duration (examples: 10s, 1m30s, 500ms)`);
  }
  return total;
}

/**
 * Parses an on/off setting: `true` or `false` (or unset: off).
 * @throws Error naming the variable for anything else: a misspelt value must not silently mean off.
 */
function parseFlag(name: string, value: string | undefined): boolean {
  if (value === undefined || value === "" || value === "false") return false;
  if (value === "true") return true;
  throw new Error(`${name}: "${value}" is not true or false`);
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === "") return 3000;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`http_port: "${value}" is not a port number`);
  return port;
}

/**
 * Reads the settings; `serverDir` is where `main.js` lives (the function folder is `../function` from
 * it).
 */
export function readSettings(env: NodeJS.ProcessEnv, serverDir: string): ServerSettings {
  const readyPath = env["ready_path"] || "/_/ready";
  const drainTimeoutMs = parseDuration("write_timeout", env["write_timeout"], 10_000);
  const behindWatchdog = Boolean(env["fprocess"] || env["function_process"]);
  return {
    port: parsePort(env["http_port"]),
    host: env["http_host"] || "127.0.0.1",
    ...(env["http_socket"] ? { socket: resolve(env["http_socket"]) } : {}),
    readyPath: readyPath.startsWith("/") ? readyPath : `/${readyPath}`,
    rawBody: env["RAW_BODY"] === "true",
    maxRawSize: parseSize("MAX_RAW_SIZE", env["MAX_RAW_SIZE"], DEFAULT_LIMIT),
    maxJsonSize: parseSize("MAX_JSON_SIZE", env["MAX_JSON_SIZE"], DEFAULT_LIMIT),
    maxTextSize: DEFAULT_LIMIT,
    etag: parseFlag("ETAG", env["ETAG"]),
    drainTimeoutMs,
    behindWatchdog,
    shutdownGraceMs: parseDuration("healthcheck_interval", env["healthcheck_interval"], behindWatchdog ? drainTimeoutMs : 0),
    // A relative HANDLER_PATH is taken from the working directory (how the sandbox starts functions).
    handlerPath: env["HANDLER_PATH"] ? resolve(env["HANDLER_PATH"]) : functionEntry(resolve(serverDir, "../function")),
  };
}

/** The handler the image build chose for `functionDir`, or the layout's default when it recorded none. */
function functionEntry(functionDir: string): string {
  return resolve(functionDir, readEntryRecord(functionDir)?.entry ?? "dist/handler.js");
}
