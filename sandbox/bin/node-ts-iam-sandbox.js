#!/usr/bin/env node
// node-ts-iam-sandbox: the sandbox (npm start). A committed entry, so that npm links it on install, before the prepare script compiles dist/.
import "../dist/cli.js";
