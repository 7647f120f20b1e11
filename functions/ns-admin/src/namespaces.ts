import { json, type Route } from "@node-ts-iam/sdk/kit";
import type { RouteContext } from "./context.js";
import type { NamespaceScope } from "./scope.js";

/** `GET /namespaces`: the gateway's namespaces that are inside the scope. */
export function namespaceRoutes(context: RouteContext, scope: NamespaceScope): Route[] {
  return [
    {
      pattern: "/namespaces",
      methods: {
        GET: async () => {
          const all = await context.gateway().getNamespaces();
          return json(200, { namespaces: all.filter((ns) => scope.allows(ns)).sort() });
        },
      },
    },
  ];
}
