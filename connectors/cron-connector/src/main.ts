#!/usr/bin/env node
/**
 * `node dist/main.js`: the cron-connector as a program (a container's entry point, or the
 * sandbox's connector deployment). Configured from the environment (see config.ts); authenticates
 * with its own projected service account token; SIGTERM or SIGINT stops scheduling, waits for
 * invocations in flight (up to 10 s) and exits 0. A bad setting exits 1 with one line naming it.
 */
import { Client, ServiceAccountTokenSource, TokenAuth } from "@node-ts-iam/sdk";
import { configFromEnvironment } from "./config.js";
import { CronConnector } from "./connector.js";
import { scrubSecrets, stderrLog } from "./log.js";
import { ConnectorError } from "./errors.js";

const STOP_GRACE_MS = 10_000;
const log = (line: string): void => stderrLog(scrubSecrets(line));

async function main(): Promise<void> {
  const config = configFromEnvironment();
  const auth = new TokenAuth({ source: new ServiceAccountTokenSource({ path: config.tokenFile }), tokenURL: config.tokenURL });
  const gateway = new Client({ gatewayURL: config.gatewayURL, auth, userAgent: "node-ts-iam/cron-connector" });
  log(`Token file: ${config.tokenFile} (exchanged at ${config.tokenURL})`);
  const connector = new CronConnector({ gateway, config });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping (waiting up to ${STOP_GRACE_MS} ms for invocations in flight)`);
    const forced = setTimeout(() => process.exit(0), STOP_GRACE_MS);
    forced.unref();
    void connector.stop().then(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  await connector.start();
}

main().catch((error: unknown) => {
  if (error instanceof ConnectorError) log(`cron-connector: ${error.code}: ${error.message}`);
  else log(`cron-connector: ${error instanceof Error ? `${error.name}: ${error.message}` : "failed"}`);
  process.exit(1);
});
