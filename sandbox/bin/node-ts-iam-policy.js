#!/usr/bin/env node
// node-ts-iam-policy: the policy tool (npm run policy). A committed entry, so that npm links it on install, before the prepare script compiles dist/.
import "../dist/policy/policy-cli.js";
