import type { LogsRequest } from "@node-ts-iam/sdk";
import { ApiError, intQuery, json, queryParam, requireName, type Route } from "@node-ts-iam/sdk/kit";
import type { RouteContext } from "./context.js";
import type { ErrorCode } from "./errors.js";
import type { NsAdminGateway } from "./gateway.js";

const RFC3339 = /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/;

/** `GET /namespaces/{ns}/functions/{name}/logs?tail=1..1000&since=<RFC 3339>`: a tail, never a follow. */
export function logRoutes(context: RouteContext, logTimeoutMs: number): Route[] {
  return [
    {
      pattern: "/namespaces/:namespace/functions/:name/logs",
      methods: {
        GET: async (req, params) => {
          const namespace = context.namespaceOf(params);
          const name = requireName(params["name"], "function name");
          const tail = intQuery(req, "tail", 1, 1000, 100);
          const since = queryParam(req, "since");
          if (since !== undefined && (!RFC3339.test(since) || Number.isNaN(Date.parse(since)))) {
            throw new ApiError<ErrorCode>(400, "INVALID_QUERY", "since must be an RFC 3339 timestamp", { field: "since" });
          }
          const lines = await tailLogs(context.gateway(), { name, namespace, tail, follow: false, ...(since ? { since } : {}) }, logTimeoutMs);
          return json(200, { name, namespace, lines });
        },
      },
    },
  ];
}

/** Reads up to `tail` lines without following; a slow stream returns what arrived in time. */
async function tailLogs(
  gw: NsAdminGateway,
  query: LogsRequest,
  timeoutMs: number,
): Promise<{ timestamp?: string; instance?: string; text: string }[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const lines: { timestamp?: string; instance?: string; text: string }[] = [];
  try {
    for await (const line of gw.getLogs(query, { signal: controller.signal })) {
      lines.push({
        ...timestampOf(line.timestamp),
        ...(line.instance ? { instance: line.instance } : {}),
        text: line.text,
      });
      if (lines.length >= (query.tail ?? 100)) break;
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
  }
  return lines;
}

function timestampOf(value: string | Date | undefined): { timestamp?: string } {
  if (typeof value === "string") return { timestamp: value };
  if (value instanceof Date && !Number.isNaN(value.getTime())) return { timestamp: value.toISOString() };
  return {};
}
