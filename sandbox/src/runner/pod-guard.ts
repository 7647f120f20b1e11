/**
 * Preloaded into every function process (`node --import <this file> <server>`). The sandbox starts
 * each process with an IPC channel it never uses for messages: when the sandbox dies, even by
 * `kill -9`, the channel closes and the pod stops itself, as a pod on a lost node is stopped:
 * SIGTERM to itself (the template server drains and exits), then a forced exit if that hangs.
 * Without a channel (the server started by hand) it does nothing.
 */
const GRACE_MS = 10_000;

if (process.channel) {
  process.once("disconnect", () => {
    setTimeout(() => process.exit(1), GRACE_MS).unref();
    process.kill(process.pid, "SIGTERM");
  });
  // The listener above refs the channel; unref it so the channel never keeps a finished process alive.
  process.channel.unref();
}
