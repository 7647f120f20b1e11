/**
 * A namespace's labels and annotations are checked as Kubernetes checks them (issue 21, finding 5):
 * 40,000 labels, a 900 KB annotation and keys like `-bad key` and `__proto__` were stored. Each bad
 * body is a 400 naming the offending key (or map), on create and on update, and nothing is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../sandbox/src/types.js";
import { basic, call, startFixtureSandbox } from "./helpers.js";

let sandbox: Sandbox;
let admin: string;

beforeAll(async () => {
  sandbox = await startFixtureSandbox();
  admin = basic(sandbox);
  const created = await call(sandbox.url, "POST", "/system/namespace/", admin, { name: "kept", labels: { team: "a" } });
  expect(created.status, created.text).toBe(201);
});
afterAll(async () => {
  await sandbox?.stop();
});

const many = (n: number, value = "x"): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value]));

/** [case, labels, annotations, the field the 400 names] */
const bad: [string, Record<string, string>, Record<string, string>, string][] = [
  ["40,000 labels", many(40_000), {}, "labels"],
  ["65 labels (the cap is 64)", many(65), {}, "labels"],
  ["a 900 KB annotation", {}, { big: "x".repeat(900_000) }, 'annotations["big"]'],
  ["annotations over 256 KiB in total", {}, many(5, "x".repeat(60_000)), "annotations"],
  ["label key '-bad key'", { "-bad key": "x" }, {}, "labels.-bad key"],
  ["label key '__proto__'", JSON.parse('{"__proto__":"x"}') as Record<string, string>, {}, "labels.__proto__"],
  ["annotation key '__proto__'", {}, JSON.parse('{"__proto__":"x"}') as Record<string, string>, "annotations.__proto__"],
  ["label key with an empty name", { "example.com/": "x" }, {}, "labels.example.com/"],
  ["label key whose name has 64 characters", { ["n".repeat(64)]: "x" }, {}, `labels.${"n".repeat(64)}`],
  ["label key whose prefix has 254 characters", { [`${"p".repeat(254)}/name`]: "x" }, {}, `labels.${"p".repeat(64)}...`],
  ["label key with an upper-case prefix", { "Example.com/team": "x" }, {}, "labels.Example.com/team"],
  ["label value with a space", { team: "has space" }, {}, "labels.team"],
  ["label value of 64 characters", { team: "v".repeat(64) }, {}, 'labels["team"]'],
  ["label value ending in '-'", { team: "a-" }, {}, "labels.team"],
  ["annotation key with a space", {}, { "bad key": "x" }, "annotations.bad key"],
];

describe("namespace labels and annotations", () => {
  it.each(bad)("%s: 400 naming it on create and on update, nothing stored", async (_name, labels, annotations, field) => {
    const created = await call(sandbox.url, "POST", "/system/namespace/", admin, { name: "refused", labels, annotations });
    expect(created.status, created.text.slice(0, 300)).toBe(400);
    expect((created.json as { field: string }).field).toBe(field);
    expect((await call(sandbox.url, "GET", "/system/namespace/refused", admin)).status).toBe(404);

    const updated = await call(sandbox.url, "PUT", "/system/namespace/kept", admin, { name: "kept", labels, annotations });
    expect(updated.status, updated.text.slice(0, 300)).toBe(400);
    expect((updated.json as { field: string }).field).toBe(field);
    expect(((await call(sandbox.url, "GET", "/system/namespace/kept", admin)).json as { labels: Record<string, string> }).labels).toEqual({ team: "a", openfaas: "1" });
  });

  it("accepts what Kubernetes accepts: prefixed keys, empty values, 64 of each, 256 KiB of annotations", async () => {
    const labels = { ...many(62), "example.com/team": "", "a.b-c.example/x_y.z": "A-1.b_2" };
    const annotations = { ...many(4, "y".repeat(60_000)), "example.com/owner": "ops@example.com, anything at all" };
    const r = await call(sandbox.url, "POST", "/system/namespace/", admin, { name: "accepted", labels, annotations });
    expect(r.status, r.text.slice(0, 300)).toBe(201);
    expect((r.json as { labels: Record<string, string> }).labels).toEqual({ ...labels, openfaas: "1" });
  });
});
