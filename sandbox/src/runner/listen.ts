/** Listening on the ports the sandbox is told to use, with an error that says which setting chose a taken one. */
import type { Server } from "node:net";

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

