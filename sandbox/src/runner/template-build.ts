/**
 * A project's template, made ready to serve its functions as the image build makes /home/app ready:
 * the packages the template and its SDK use found beside it, and its server and SDK compiled. The code
 * is the project's own `template/node-ts-iam/` (what faas-cli pulled, so the functions run the server
 * and SDK their images will ship); the tools are the sandbox's (toolchain.ts).
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { withBuildLock } from "./handler-build.js";
import { RUNNABLE_LANG } from "./stack.js";
import { findPackageDir, runNode, runTsc, sandboxPackageDir } from "./toolchain.js";

/** Where faas-cli keeps a template in a project: `<project>/template/<lang>/`. */
export function projectTemplateDir(root: string): string {
  return join(root, "template", RUNNABLE_LANG);
}

/** The template's SDK package, linked to its own `sdk/` folder as npm links a `file:./sdk` dependency. */
const SDK_PACKAGE = "@node-ts-iam/sdk";

/** The record the sandbox leaves in a `node_modules` it made (npm ci replaces the whole folder). */
const LINKS_RECORD = ".node-ts-iam-sandbox.json";

/** The packages named by a package.json's dependencies (and devDependencies: types needed to compile). */
function declared(file: string, dev: boolean): string[] {
  const pkg = JSON.parse(readFileSync(file, "utf8")) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  return Object.keys({ ...pkg.dependencies, ...(dev ? pkg.devDependencies : {}) });
}

/**
 * Gives the template every package it and its SDK declare. Those already found from the folder (its own
 * install, made by `npm ci` when a function beside it was `npm install`ed, or this checkout's) are left
 * alone; each missing one is linked into `<template>/node_modules` from the sandbox's own install.
 * Returns the names it linked.
 */
async function linkMissingPackages(templateDir: string): Promise<string[]> {
  const names = [...new Set([...declared(join(templateDir, "package.json"), true), ...declared(join(templateDir, "sdk", "package.json"), false)])];
  const linked: string[] = [];
  for (const name of names.sort()) {
    const found = findPackageDir(templateDir, name);
    // The SDK must be the template's own (the one its image ships), not another copy found above it.
    if (found && (name !== SDK_PACKAGE || realpathSync(found) === realpathSync(join(templateDir, "sdk")))) continue;
    const link = join(templateDir, "node_modules", name);
    await rm(link, { recursive: true, force: true }); // a link left dangling by a moved sandbox
    await mkdir(dirname(link), { recursive: true });
    await symlink(name === SDK_PACKAGE ? join(templateDir, "sdk") : sandboxPackageDir(name), link, "junction");
    linked.push(name);
  }
  if (linked.length > 0) {
    const record = { note: "links made by the node-ts-iam sandbox to its own packages; npm ci here replaces them", linked };
    await writeFile(join(templateDir, "node_modules", LINKS_RECORD), `${JSON.stringify(record, null, 2)}\n`);
  }
  return linked;
}

/**
 * Prepares the project's template folder and returns its server script (`dist/main.js`). Throws naming
 * the folder and the command that brings it when the project has no template.
 */
export async function prepareTemplate(templateDir: string, log: (line: string) => void): Promise<string> {
  if (!existsSync(join(templateDir, "template.yml"))) {
    throw new Error(`${templateDir} is not there: the project's functions are built from its own copy of the template; run faas-cli template pull <git URL of node-ts-iam> in ${dirname(dirname(templateDir))} (README: "Your first function")`);
  }
  return withBuildLock(templateDir, async () => {
    const linked = await linkMissingPackages(templateDir);
    if (linked.length > 0) log(`template ${templateDir}: linked the sandbox's ${linked.join(", ")}`);
    // One project at a time: tsc 7 builds referenced projects in parallel otherwise, and the server
    // would be checked against an SDK whose declarations are not written yet.
    await runTsc(["-b", "--builders", "1", templateDir], templateDir);
    // Then the SDK's own build step after tsc (its one-file bundle, the package's entries), where the
    // template has one, as the SDK's npm run build and the image build run it.
    const bundleStep = join(templateDir, "sdk", "bundle.mjs");
    if (existsSync(bundleStep)) await runNode("the SDK's bundle step", [bundleStep], join(templateDir, "sdk"));
    return join(templateDir, "dist", "main.js");
  });
}
