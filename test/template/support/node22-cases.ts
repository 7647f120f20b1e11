/**
 * The node22 compatibility cases: for each node22 function folder under fixtures/node22/, requests and
 * the answer the official node22 template gives (its index.js on Node 22, Express 5.3 and body-parser
 * 2.4, measured with these very folders; the rules are those of the node22 contract). Where node-ts-iam
 * answers otherwise on purpose, the case names the row of the template README's comparison table that says why.
 */
import { expect } from "vitest";
import type { Answer, RequestOptions } from "./process.js";

/** An answer, as far as a case checks it. */
export interface Expected {
  readonly status: number;
  /** Content-Type, or null for none. */
  readonly type: string | null;
  /** The body as text (exactly) … */
  readonly body?: string;
  /** … or as a JSON value. */
  readonly json?: unknown;
  /** Headers with these values (undefined: absent). */
  readonly headers?: Readonly<Record<string, string | undefined>>;
}

/** One request to a folder's function. */
export interface Case {
  readonly name: string;
  readonly request: RequestOptions;
  /** node22's answer; `dies` when its process then exits (the answer was sent first). */
  readonly node22: Expected & { readonly dies?: true };
  /** node-ts-iam's answer where it differs, and the README row that lists the difference. */
  readonly fix?: { readonly answer: Expected; readonly row: string };
}

/** A node22 function folder (fixtures/node22/<folder>) and how it is deployed. */
export interface Folder {
  readonly folder: string;
  /** The stack's `environment` for it. */
  readonly env?: Readonly<Record<string, string>>;
  /** Secrets bound to it: files in a folder of their own, named by `secret_mount_path`. */
  readonly secrets?: Readonly<Record<string, string>>;
  readonly cases: readonly Case[];
}

/** README rows (first column of the node22 comparison table) for the differences made on purpose. */
export const ROWS = {
  objects: "objects and arrays (returned, `succeed`, callback)",
  errors: "thrown error, rejected promise, `callback(error)`",
  fail: "`fail(value)`",
  lateCallback: "non-async handler answering after it returned",
  twice: "`succeed()`/`fail()` after the answer",
  returnedContext: "the context returned, or given to `succeed()` or the callback",
  requestErrors: "malformed JSON / body over the limit / unknown charset",
  runtimeErrors: "Node's own error thrown or given to `fail()` (`ENOENT`, `ERR_...`)",
  unserialisable: "a value JSON cannot represent (a circular structure, a `BigInt`)",
  etag: "ETag / `If-None-Match` → 304",
} as const;

const HTML = "text/html; charset=utf-8";
const JSON_TYPE = "application/json; charset=utf-8";
const JSON_BODY = { "content-type": "application/json" };

/** 5 MiB past the 100kb limits: node22 reads it all, then answers 413; the answer must reach a Node client. */
const OVER_LIMIT = 5 * 1024 * 1024 + 100 * 1024;
const OVER_JSON = `{"name":"${"x".repeat(OVER_LIMIT)}"}`;

/** The error contract's answer to a body over a limit (the README row requestErrors). */
function tooLarge(setting: string): Case["fix"] {
  return { answer: { status: 413, type: JSON_TYPE, json: { code: "BODY_TOO_LARGE", message: `request body is larger than ${setting} (102400 bytes)` } }, row: ROWS.requestErrors };
}

/** The weak ETag node22 (Express) gave "hello", and the conditional GETs a cache in front sends with it. */
const HELLO_TAG = 'W/"5-qvTGHdzF6KLavt4PO0gs2a6pQ00"';

/** node22 typed JSON text of objects and arrays as HTML; node-ts-iam as JSON. */
function objectFix(node22: Expected): Case["fix"] {
  return { answer: { ...node22, type: JSON_TYPE }, row: ROWS.objects };
}

export const NODE22_FOLDERS: readonly Folder[] = [
  {
    folder: "sample",
    cases: [
      {
        name: "JSON body",
        request: { method: "POST", headers: JSON_BODY, body: '{"a":1}' },
        node22: { status: 200, type: HTML, json: { body: '{"a":1}', "content-type": "application/json" } },
        fix: objectFix({ status: 200, type: HTML, json: { body: '{"a":1}', "content-type": "application/json" } }),
      },
      {
        name: "body without Content-Type: text/plain, in event.headers too",
        request: { method: "POST", body: "hi" },
        node22: { status: 200, type: HTML, json: { body: '"hi"', "content-type": "text/plain" } },
        fix: objectFix({ status: 200, type: HTML, json: { body: '"hi"', "content-type": "text/plain" } }),
      },
      {
        name: "GET without a body",
        request: { method: "GET" },
        node22: { status: 200, type: HTML, json: { "content-type": "text/plain" } },
        fix: objectFix({ status: 200, type: HTML, json: { "content-type": "text/plain" } }),
      },
    ],
  },
  {
    folder: "strings",
    // Deployed with ETAG=true: every answer carries node22's ETag, and a cache's conditional GET gets 304.
    env: { ETAG: "true" },
    cases: [
      { name: "a string", request: { path: "/" }, node22: { status: 200, type: HTML, body: "hello", headers: { "content-length": "5", etag: HELLO_TAG } } },
      {
        name: "an empty string",
        request: { path: "/?kind=empty" },
        node22: { status: 200, type: HTML, body: "", headers: { "content-length": "0", etag: 'W/"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk"' } },
      },
      {
        name: "UTF-8 text",
        request: { path: "/?kind=unicode" },
        node22: { status: 200, type: HTML, body: "héllo wörld ✓", headers: { "content-length": "17", etag: 'W/"11-pefzXK6lCqbzvDfS8kpUD8CzyzI"' } },
      },
      {
        name: "a string typed text/plain",
        request: { path: "/?kind=typed" },
        node22: { status: 200, type: "text/plain; charset=utf-8", body: "plain text", headers: { etag: 'W/"a-n5RDuPPYNhVB+HklYrMFD3Ie5TQ"' } },
      },
      { name: "digits stay text", request: { path: "/?kind=digits" }, node22: { status: 200, type: HTML, body: "42" } },
      {
        name: "If-None-Match with the tag: 304, no type, length or body",
        request: { path: "/", headers: { "if-none-match": HELLO_TAG } },
        node22: { status: 304, type: null, body: "", headers: { etag: HELLO_TAG, "content-length": undefined } },
      },
      { name: "If-None-Match with the strong form of the tag: 304", request: { path: "/", headers: { "if-none-match": HELLO_TAG.slice(2) } }, node22: { status: 304, type: null, body: "" } },
      { name: "If-None-Match listing the tag: 304", request: { path: "/", headers: { "if-none-match": `"x", ${HELLO_TAG}` } }, node22: { status: 304, type: null, body: "" } },
      { name: "If-None-Match: *: 304", request: { path: "/", headers: { "if-none-match": "*" } }, node22: { status: 304, type: null, body: "" } },
      { name: "a HEAD with the tag: 304", request: { method: "HEAD", path: "/", headers: { "if-none-match": HELLO_TAG } }, node22: { status: 304, type: null, body: "" } },
      { name: "If-None-Match with another tag: the answer", request: { path: "/", headers: { "if-none-match": 'W/"5-other"' } }, node22: { status: 200, type: HTML, body: "hello" } },
      {
        name: "Cache-Control: no-cache: the answer",
        request: { path: "/", headers: { "if-none-match": HELLO_TAG, "cache-control": "no-cache" } },
        node22: { status: 200, type: HTML, body: "hello", headers: { etag: HELLO_TAG } },
      },
      { name: "a POST with the tag: the answer", request: { method: "POST", path: "/", headers: { "if-none-match": HELLO_TAG } }, node22: { status: 200, type: HTML, body: "hello" } },
    ],
  },
  {
    folder: "objects",
    cases: [
      { name: "an object", request: { path: "/" }, node22: { status: 200, type: HTML, body: '{"ok":true}' }, fix: objectFix({ status: 200, type: HTML, body: '{"ok":true}' }) },
      {
        name: "an array",
        request: { path: "/?kind=array" },
        node22: { status: 200, type: HTML, body: '[1,"two",{"three":3}]' },
        fix: objectFix({ status: 200, type: HTML, body: '[1,"two",{"three":3}]' }),
      },
      {
        name: "a nested object",
        request: { path: "/?kind=nested" },
        node22: { status: 200, type: HTML, json: { user: { name: "ada", roles: ["admin"] }, count: 2 } },
        fix: objectFix({ status: 200, type: HTML, json: { user: { name: "ada", roles: ["admin"] }, count: 2 } }),
      },
      { name: "a class instance (Express res.json)", request: { path: "/?kind=instance" }, node22: { status: 200, type: JSON_TYPE, body: '{"x":1,"y":2}' } },
      { name: "a number", request: { path: "/?kind=number" }, node22: { status: 200, type: JSON_TYPE, body: "42" } },
      { name: "a boolean", request: { path: "/?kind=boolean" }, node22: { status: 200, type: JSON_TYPE, body: "true" } },
      { name: "null", request: { path: "/?kind=null" }, node22: { status: 200, type: null, body: "", headers: { "content-length": "0" } } },
      { name: "nothing", request: { path: "/?kind=nothing" }, node22: { status: 200, type: null, body: "", headers: { "content-length": "0" } } },
      {
        name: "succeed(object)",
        request: { path: "/?kind=succeed" },
        node22: { status: 200, type: HTML, body: '{"via":"succeed"}' },
        fix: objectFix({ status: 200, type: HTML, body: '{"via":"succeed"}' }),
      },
      {
        name: "a circular object: V8's text, not a success",
        request: { path: "/?kind=circular" },
        node22: { status: 200, type: HTML, body: "TypeError: Converting circular structure to JSON\n    --> starting at object with constructor 'Object'\n    --- property 'self' closes the circle" },
        fix: {
          answer: {
            status: 500,
            type: JSON_TYPE,
            json: { code: "INVALID_RESPONSE", message: "invalid response from the handler: its value cannot be sent as JSON (a circular structure, a BigInt, or a toJSON that threw)" },
          },
          row: ROWS.unserialisable,
        },
      },
    ],
  },
  {
    folder: "buffers",
    cases: [
      { name: "a Buffer", request: { path: "/" }, node22: { status: 200, type: "application/octet-stream", body: "\u0000\u0001\u0002\ufffd", headers: { "content-length": "4" } } },
      { name: "a Buffer typed image/png", request: { path: "/?kind=png" }, node22: { status: 200, type: "image/png", headers: { "content-length": "8" } } },
      { name: "a Uint8Array", request: { path: "/?kind=uint8" }, node22: { status: 200, type: "application/octet-stream", body: "\u0001\u0002\u0003" } },
      { name: "a Buffer typed text/plain gets the charset", request: { path: "/?kind=text" }, node22: { status: 200, type: "text/plain; charset=utf-8", body: "bytes as text" } },
      { name: "an empty Buffer", request: { path: "/?kind=empty" }, node22: { status: 200, type: "application/octet-stream", body: "", headers: { "content-length": "0" } } },
    ],
  },
  {
    folder: "status-headers",
    cases: [
      {
        name: "status(201).headers(...).succeed(...)",
        request: { path: "/created" },
        node22: { status: 201, type: HTML, body: "created", headers: { "x-request-id": "abc-123", "cache-control": "no-store" } },
      },
      { name: "headers() replaces the whole map", request: { path: "/replaced" }, node22: { status: 200, type: HTML, body: "replaced", headers: { "x-first": undefined, "x-second": "2" } } },
      { name: "the map headers() returns is the live one", request: { path: "/live-map" }, node22: { status: 200, type: HTML, body: "live", headers: { "x-live": "yes" } } },
      { name: "number and array header values", request: { path: "/values" }, node22: { status: 200, type: HTML, body: "values", headers: { "x-count": "3" } } },
      { name: "204 drops type, length and body", request: { path: "/no-content" }, node22: { status: 204, type: null, body: "", headers: { "content-length": undefined } } },
      {
        name: "an error status with an object",
        request: { path: "/not-found" },
        node22: { status: 404, type: HTML, body: '{"error":"not found"}' },
        fix: objectFix({ status: 404, type: HTML, body: '{"error":"not found"}' }),
      },
      {
        name: "status() and headers() read back",
        request: { path: "/read-back" },
        node22: { status: 202, type: HTML, json: { status: 202, headers: {} } },
        fix: objectFix({ status: 202, type: HTML, json: { status: 202, headers: {} } }),
      },
      {
        name: "an async handler that declares the callback and resolves with nothing is answered",
        request: { path: "/accepted" },
        node22: { status: 202, type: null, body: "", headers: { "x-queued": "yes", "content-length": "0" } },
      },
      {
        name: "succeed() twice: the first answer stands",
        request: { path: "/twice" },
        node22: { status: 200, type: HTML, body: "first", dies: true },
        fix: { answer: { status: 200, type: HTML, body: "first" }, row: ROWS.twice },
      },
    ],
  },
  {
    folder: "callback-style",
    cases: [
      { name: "callback(undefined, string)", request: { path: "/" }, node22: { status: 200, type: HTML, body: "done" } },
      {
        name: "callback(null, object)",
        request: { path: "/object" },
        node22: { status: 200, type: HTML, body: '{"ok":true}' },
        fix: objectFix({ status: 200, type: HTML, body: '{"ok":true}' }),
      },
      {
        name: "callback after the handler returned",
        request: { path: "/later" },
        node22: { status: 200, type: null, body: "", dies: true },
        fix: { answer: { status: 200, type: HTML, body: "later" }, row: ROWS.lateCallback },
      },
      {
        name: "callback(error)",
        request: { path: "/error" },
        node22: { status: 200, type: HTML, body: "Error: nope" },
        fix: { answer: { status: 500, type: JSON_TYPE, json: { code: "INTERNAL", message: "nope" } }, row: ROWS.errors },
      },
    ],
  },
  {
    folder: "raw-body",
    env: { RAW_BODY: "true" },
    cases: [
      {
        name: "a JSON body arrives as a Buffer",
        request: { method: "POST", headers: JSON_BODY, body: '{"signed":true}' },
        node22: {
          status: 200,
          type: JSON_TYPE,
          json: { isBuffer: true, length: 15, sha256: "3f024a3d64024208cb2b7b024edc1cdd90c90002a97157c233b02ef773fd68d7", contentType: "application/json" },
        },
      },
      {
        name: "binary bytes without Content-Type arrive whole, typed text/plain",
        request: { method: "POST", body: Buffer.from([0, 255, 128, 10]) },
        node22: {
          status: 200,
          type: JSON_TYPE,
          json: { isBuffer: true, length: 4, sha256: "6d6f7836f1e146dc0204afb5133dae52fdc05603d8ac2dc793b481b0e0829fd1", contentType: "text/plain" },
        },
      },
      {
        name: "no body",
        request: { method: "GET" },
        node22: { status: 200, type: JSON_TYPE, json: { isBuffer: false, length: 0, sha256: null, contentType: "text/plain" } },
      },
      {
        name: "5 MiB over MAX_RAW_SIZE: a 413 the Node client reads",
        request: { method: "POST", headers: { "content-type": "application/octet-stream" }, body: Buffer.alloc(OVER_LIMIT, 7) },
        node22: { status: 413, type: HTML },
        fix: tooLarge("MAX_RAW_SIZE"),
      },
    ],
  },
  {
    folder: "form-body",
    cases: [
      {
        name: "urlencoded, extended (qs) syntax",
        request: { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "name=Ada+L&tags[]=a&tags[]=b&user[role]=admin&q=%C3%A9" },
        node22: { status: 200, type: JSON_TYPE, json: { form: { name: "Ada L", tags: ["a", "b"], user: { role: "admin" }, q: "é" } } },
      },
      {
        name: "an empty form",
        request: { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "" },
        node22: { status: 200, type: JSON_TYPE, json: { form: {} } },
      },
    ],
  },
  {
    folder: "text-body",
    cases: [
      {
        name: "text/plain, with method, path, query and headers",
        request: { method: "PUT", path: "/notes?id=7&tag=a&tag=b", headers: { "content-type": "text/plain", "X-Custom": "yes" }, body: "note" },
        node22: {
          status: 200,
          type: JSON_TYPE,
          json: { method: "PUT", path: "/notes", query: { id: "7", tag: ["a", "b"] }, type: "string", body: "note", contentType: "text/plain", custom: "yes" },
        },
      },
      {
        name: "text/csv",
        request: { method: "POST", headers: { "content-type": "text/csv" }, body: "a,b\n1,2" },
        node22: { status: 200, type: JSON_TYPE, json: { method: "POST", path: "/", query: {}, type: "string", body: "a,b\n1,2", contentType: "text/csv", custom: null } },
      },
      {
        name: "no Content-Type: text, and text/plain in event.headers",
        request: { method: "POST", body: '{"not":"parsed"}' },
        node22: { status: 200, type: JSON_TYPE, json: { method: "POST", path: "/", query: {}, type: "string", body: '{"not":"parsed"}', contentType: "text/plain", custom: null } },
      },
      {
        name: "another media type: no body",
        request: { method: "POST", headers: { "content-type": "application/octet-stream" }, body: "bin" },
        node22: {
          status: 200,
          type: JSON_TYPE,
          json: { method: "POST", path: "/", query: {}, type: "undefined", body: null, contentType: "application/octet-stream", custom: null },
        },
      },
      {
        name: "a latin-1 text body is decoded",
        request: { method: "POST", headers: { "content-type": "text/plain; charset=iso-8859-1" }, body: Buffer.from([0x63, 0x61, 0x66, 0xe9]) },
        node22: {
          status: 200,
          type: JSON_TYPE,
          json: { method: "POST", path: "/", query: {}, type: "string", body: "café", contentType: "text/plain; charset=iso-8859-1", custom: null },
        },
      },
    ],
  },
  {
    folder: "thrown-errors",
    cases: [
      {
        name: "a thrown Error",
        request: { path: "/" },
        node22: { status: 200, type: HTML, body: "Error: boom", headers: { "x-trace": undefined } },
        fix: { answer: { status: 500, type: JSON_TYPE, json: { code: "INTERNAL", message: "boom" }, headers: { "x-trace": "t-1" } }, row: ROWS.errors },
      },
      {
        name: "a throw after an error status",
        request: { path: "/conflict" },
        node22: { status: 409, type: HTML, body: "Error: already exists", headers: { "x-reason": undefined } },
        fix: { answer: { status: 409, type: JSON_TYPE, json: { code: "INTERNAL", message: "already exists" }, headers: { "x-reason": "exists" } }, row: ROWS.errors },
      },
      {
        name: "a thrown string",
        request: { path: "/string" },
        node22: { status: 200, type: HTML, body: "plain string" },
        fix: { answer: { status: 500, type: JSON_TYPE, json: { code: "INTERNAL", message: "plain string" } }, row: ROWS.errors },
      },
      {
        name: "a TypeError from the handler's code",
        request: { path: "/type-error" },
        node22: { status: 200, type: HTML, body: "TypeError: Cannot read properties of undefined (reading 'missing')" },
        fix: { answer: { status: 500, type: JSON_TYPE, json: { code: "INTERNAL", message: "Cannot read properties of undefined (reading 'missing')" } }, row: ROWS.errors },
      },
    ],
  },
  {
    folder: "rejected-errors",
    cases: [
      {
        name: "a rejected promise",
        request: { path: "/" },
        node22: { status: 200, type: HTML, body: "Error: rejected" },
        fix: { answer: { status: 500, type: JSON_TYPE, json: { code: "INTERNAL", message: "rejected" } }, row: ROWS.errors },
      },
      { name: "status(400).fail(text)", request: { path: "/fail" }, node22: { status: 400, type: HTML, body: "bad input" } },
      { name: "fail(error)", request: { path: "/fail-error" }, node22: { status: 500, type: HTML, body: "Error: failed" } },
      {
        name: "fail() after headers()",
        request: { path: "/fail-headers" },
        node22: { status: 500, type: HTML, body: "denied", headers: { "access-control-allow-origin": undefined } },
        fix: { answer: { status: 500, type: HTML, body: "denied", headers: { "access-control-allow-origin": "*" } }, row: ROWS.fail },
      },
    ],
  },
  {
    folder: "content-types",
    cases: [
      { name: "text/plain gets its charset", request: { path: "/" }, node22: { status: 200, type: "text/plain; charset=utf-8", body: "plain" } },
      { name: "a short name", request: { path: "/?kind=short-json" }, node22: { status: 200, type: JSON_TYPE, body: '{"short":true}' } },
      { name: "application/json with JSON text", request: { path: "/?kind=json" }, node22: { status: 200, type: JSON_TYPE, body: '{"text":true}' } },
      { name: "a vendor JSON type", request: { path: "/?kind=vendor" }, node22: { status: 200, type: "application/vnd.example+json; charset=utf-8", body: '{"vendor":true}' } },
      { name: "application/xml text", request: { path: "/?kind=xml" }, node22: { status: 200, type: "application/xml; charset=utf-8", body: "<ok/>" } },
      { name: "text/csv", request: { path: "/?kind=csv" }, node22: { status: 200, type: "text/csv; charset=utf-8", body: "a,b\n1,2\n" } },
      { name: "another charset is replaced by the one the text is sent in", request: { path: "/?kind=latin1" }, node22: { status: 200, type: "text/plain; charset=utf-8", body: "café" } },
      { name: "an upper-case type", request: { path: "/?kind=upper" }, node22: { status: 200, type: "text/html; charset=utf-8", body: "<b>upper</b>" } },
      { name: "an unknown short name counts as no type", request: { path: "/?kind=unknown" }, node22: { status: 200, type: HTML, body: "unknown" } },
    ],
  },
  {
    // What real functions do: redirect by returning the context, headers before fail(), succeed() with
    // no value, files read relative to the working directory, a callback-style dependency (awaited, and
    // not), a urlencoded body to a JSON handler (curl -d), secrets read from their mount.
    folder: "patterns",
    secrets: { "api-key": "canary-key-0123456789abcdef" },
    cases: [
      {
        name: "a redirect: the context returned after status() and headers()",
        request: { path: "/redirect" },
        node22: { status: 302, type: JSON_TYPE, json: { statusCode: 302, headerValues: { Location: "https://example.com/next" }, cbCalled: 1 }, headers: { location: "https://example.com/next" } },
        fix: { answer: { status: 302, type: null, body: "", headers: { location: "https://example.com/next", "content-length": "0" } }, row: ROWS.returnedContext },
      },
      {
        name: "the context returned with headers only",
        request: { path: "/headers-only" },
        node22: {
          status: 200,
          type: "text/plain; charset=utf-8",
          json: { statusCode: 200, headerValues: { "x-request-id": "r-7", "content-type": "text/plain" }, cbCalled: 1 },
          headers: { "x-request-id": "r-7" },
        },
        fix: { answer: { status: 200, type: "text/plain; charset=utf-8", body: "", headers: { "x-request-id": "r-7" } }, row: ROWS.returnedContext },
      },
      { name: "succeed() with no value", request: { path: "/created" }, node22: { status: 201, type: null, body: "", headers: { "content-length": "0" } } },
      {
        name: "headers() before fail()",
        request: { path: "/unauthorized" },
        node22: { status: 401, type: HTML, body: "unauthorized", headers: { "www-authenticate": undefined } },
        fix: { answer: { status: 401, type: HTML, body: "unauthorized", headers: { "www-authenticate": 'Bearer realm="fn"' } }, row: ROWS.fail },
      },
      {
        name: "a file read at load relative to the working directory (./function/...)",
        request: { path: "/motd" },
        node22: { status: 200, type: "text/plain; charset=utf-8", body: "Maintenance window: Sunday 02:00 UTC" },
      },
      {
        name: "a callback-style dependency, awaited",
        request: { path: "/stored" },
        node22: { status: 200, type: HTML, body: '{"value":"hello from the store"}' },
        fix: objectFix({ status: 200, type: HTML, body: '{"value":"hello from the store"}' }),
      },
      {
        name: "a dependency that answers after the handler returned",
        request: { path: "/late" },
        node22: { status: 200, type: null, body: "", headers: { "content-length": "0" }, dies: true },
        fix: { answer: { status: 200, type: null, body: "", headers: { "content-length": "0" } }, row: ROWS.twice },
      },
      {
        name: "a urlencoded form to a JSON handler",
        request: { method: "POST", path: "/greet", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "name=Ada" },
        node22: { status: 200, type: HTML, body: '{"greeting":"Hello, Ada"}' },
        fix: objectFix({ status: 200, type: HTML, body: '{"greeting":"Hello, Ada"}' }),
      },
      {
        name: "JSON text sent urlencoded (curl -d without a type) to a JSON handler",
        request: { method: "POST", path: "/greet", headers: { "content-type": "application/x-www-form-urlencoded" }, body: '{"name":"Ada"}' },
        node22: { status: 200, type: HTML, body: '{"greeting":"Hello, undefined"}' },
        fix: objectFix({ status: 200, type: HTML, body: '{"greeting":"Hello, undefined"}' }),
      },
      {
        name: "a secret read from secret_mount_path, the right key",
        request: { path: "/admin", headers: { "x-api-key": "canary-key-0123456789abcdef" } },
        node22: { status: 200, type: HTML, body: "welcome" },
      },
      { name: "a secret read from secret_mount_path, a wrong key", request: { path: "/admin", headers: { "x-api-key": "nope" } }, node22: { status: 401, type: HTML, body: "unauthorized" } },
      {
        name: "a secret missing from /var/openfaas/secrets: no path in the answer",
        request: { path: "/legacy-secret" },
        node22: { status: 200, type: HTML, body: "Error: ENOENT: no such file or directory, open '/var/openfaas/secrets/legacy-key'" },
        fix: { answer: { status: 500, type: JSON_TYPE, json: { code: "INTERNAL", message: "internal error" } }, row: ROWS.runtimeErrors },
      },
      {
        name: "5 MiB over MAX_JSON_SIZE: a 413 the Node client reads",
        request: { method: "POST", path: "/greet", headers: JSON_BODY, body: OVER_JSON },
        node22: { status: 413, type: HTML },
        fix: tooLarge("MAX_JSON_SIZE"),
      },
      {
        name: "5 MiB over the 100kb form limit: a 413 the Node client reads",
        request: { method: "POST", path: "/greet", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `name=${"x".repeat(OVER_LIMIT)}` },
        node22: { status: 413, type: HTML },
        fix: tooLarge("the 100kb text limit"),
      },
    ],
  },
  {
    folder: "local-modules",
    env: { GREETING_PREFIX: "» " },
    cases: [
      { name: "requires, JSON data and files next to the handler", request: { path: "/?name=Ada&lang=fr" }, node22: { status: 200, type: "text/plain; charset=utf-8", body: "» Bonjour, Ada!\n" } },
      { name: "the default greeting", request: { path: "/" }, node22: { status: 200, type: "text/plain; charset=utf-8", body: "» Hello, world!\n" } },
    ],
  },
];

/** Asserts that `answer` is `expected`, naming the case in the failure. */
export function expectAnswer(answer: Answer, expected: Expected, label: string): void {
  expect(answer.status, `${label}: status`).toBe(expected.status);
  expect(answer.headers["content-type"] ?? null, `${label}: Content-Type`).toBe(expected.type);
  if (expected.body !== undefined) expect(answer.text, `${label}: body`).toBe(expected.body);
  if (expected.json !== undefined) expect(JSON.parse(answer.text), `${label}: body`).toEqual(expected.json);
  for (const [name, value] of Object.entries(expected.headers ?? {})) expect(answer.headers[name], `${label}: ${name}`).toBe(value);
}
