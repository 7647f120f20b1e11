#!/usr/bin/env node
// node-ts-iam-policy: the policy tool (npm run policy). A committed entry, so that npm links it on install, before the prepare script compiles dist/.
import { main } from "../dist/policy/policy-cli.js";

process.exitCode = await main(
  process.argv.slice(2),
  (text) => process.stdout.write(text),
  (text) => process.stderr.write(text),
);
