import type { Handler } from "@node-ts-iam/sdk";

/**
 * The sample function: echoes the request back as JSON. Replace it with your own; the event and
 * context follow the node22 template (see the template README), typed.
 */
const handle: Handler = async (event, context) => {
  context.headers({ "cache-control": "no-store" });
  return {
    method: event.method,
    path: event.path,
    query: event.query,
    body: event.body,
  };
};

export default handle;
