import type { Handler } from "@node-ts-iam/sdk";

const handle: Handler = async (event) => ({ status: "ok", body: event.body });
export default handle;
