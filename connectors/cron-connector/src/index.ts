/**
 * `@node-ts-iam/cron-connector`: a least-privilege OpenFaaS cron-connector on `@node-ts-iam/sdk`.
 * The program is `dist/main.js`; these exports serve tests, the sandbox and the manifest render step.
 * @packageDocumentation
 */
export { CronConnector, type CronConnectorOptions, type ConnectorGateway, type RebuildReport } from "./connector.js";
export { configFromEnvironment, type ConnectorConfig, type FunctionAuthMode } from "./config.js";
export { CronTable, functionKey, type CronFunction, type CronTableOptions } from "./cron-table.js";
export { Invoker, CRON_TOPIC, type InvokerOptions, type InvokeGateway } from "./invoker.js";
export { parseSchedule, type Schedule, type ScheduleOptions } from "./schedule.js";
export { systemClock, type Clock, type Cancel } from "./clock.js";
export { parseGoDuration, formatDuration } from "./duration.js";
export { scrubSecrets, stderrLog, type LogSink } from "./log.js";
export { ConnectorError, type ConnectorErrorCode } from "./errors.js";
export { connectorManifests, CLUSTER_ISSUER, IN_CLUSTER_GATEWAY_URL, type ManifestValues, type KubeObject } from "./deploy/manifests.js";
