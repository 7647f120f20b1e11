#!/usr/bin/env node
// node-ts-iam-token: a service account token from the running sandbox (npm run token). A committed entry, so that npm links it on install, before the prepare script compiles dist/.
import "../dist/token-cli.js";
