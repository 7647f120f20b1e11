import { createServer, type Server } from "node:net";

/** An inclusive range of TCP ports (`--function-ports 9100-9199`). */
export interface PortRange {
  first: number;
  last: number;
}

/** Which listener of the sandbox could not get its port: the option of {@link SandboxOptions} that sets it. */
export type PortOption = "port" | "issuerPort";

/** A port the sandbox was told to listen on is taken; `option` says which setting chose it. */
export class PortInUseError extends Error {
  override readonly name = "PortInUseError";
  constructor(
    readonly option: PortOption,
    readonly host: string,
    readonly port: number,
  ) {
    super(`${host}:${port} is in use (another sandbox, or another program)`);
  }
}

/**
 * Starts `server` listening; a taken port rejects with a {@link PortInUseError} naming `option`.
 */
export function listenOn(server: Server, option: PortOption, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) => reject(err.code === "EADDRINUSE" ? new PortInUseError(option, host, port) : err);
    server.once("error", fail);
    server.listen(port, host, () => {
      server.off("error", fail);
      resolve();
    });
  });
}

/** Binds `port` (0 = any) on `host` and releases it; resolves with the port bound, or undefined when it is taken. */
function probe(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(undefined));
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** Asks the OS for a free TCP port on `host` (bind to 0, read it, release it). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const port = await probe(0, host);
  if (port === undefined) throw new Error(`no free port on ${host}`);
  return port;
}

/** The first port of `range` that is not in `taken` and can be bound on `host` now; rejects when none is left. */
export async function freePortIn(range: PortRange, taken: ReadonlySet<number>, host = "127.0.0.1"): Promise<number> {
  for (let port = range.first; port <= range.last; port++) {
    if (!taken.has(port) && (await probe(port, host)) === port) return port;
  }
  throw new Error(`no free port left in ${range.first}-${range.last} on ${host}`);
}

/** Parses `first-last` (or a single port); undefined when it is not a valid range of 1-65535. */
export function parsePortRange(text: string): PortRange | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  if (!m) return undefined;
  const first = Number(m[1]);
  const last = Number(m[2] ?? m[1]);
  return first >= 1 && last <= 65535 && first <= last ? { first, last } : undefined;
}
