/**
 * The redaction rules one by one, at every length: known secrets by any identifying run and in
 * every encoded form, unknown tokens by shape (whole, cut, or a lone `eyJ…` part), redact-then-cut,
 * and ordinary text left alone.
 */
import { describe, expect, it } from "vitest";
import { IDENTIFYING_RUN, Redactor, redact, redactAndCut, safeCause } from "../../template/node-ts-iam/sdk/src/redact.js";
import { fakeJwt } from "./helpers.js";
import { LeakDetector } from "./leaks.js";

/** A JWT of `size` characters with Kubernetes-like claims (padding in a claim sets the size). */
function jwtOfSize(size: number): string {
  const base = fakeJwt({ iss: "https://kubernetes.default.svc.cluster.local", "kubernetes.io": { namespace: "dev", pod: { name: "fn-1" } }, pad: "" });
  const padded = fakeJwt({ iss: "https://kubernetes.default.svc.cluster.local", "kubernetes.io": { namespace: "dev", pod: { name: "fn-1" } }, pad: "x".repeat(Math.max(0, Math.ceil(((size - base.length) * 3) / 4))) });
  return padded.slice(0, size);
}

/** Deterministic pseudo-random numbers (xorshift), so that a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function detector(secrets: Record<string, string>): LeakDetector {
  const d = new LeakDetector();
  for (const [label, secret] of Object.entries(secrets)) d.add(label, secret);
  return d;
}

describe("known secrets", () => {
  const token = jwtOfSize(1_300);
  const secrets = new Redactor();
  secrets.add(token);

  it.each([
    ["whole", token],
    ["a 500-character prefix", token.slice(0, 500)],
    ["a middle part", token.slice(400, 900)],
    ["a 500-character suffix", token.slice(-500)],
    [`a run of exactly ${IDENTIFYING_RUN} characters`, token.slice(700, 700 + IDENTIFYING_RUN)],
  ])("redacts %s of a 1,300-character token wherever it stands", (_label, part) => {
    for (const text of [part, `denied for ${part}.`, `{"message":"bad token ${part}"}`, `${part}${part}`]) {
      const out = secrets.redact(text);
      expect(detector({ token }).find([out])).toEqual([]);
      expect(out).toContain("[redacted]");
    }
  });

  it("keeps a run shorter than the identifying length (it identifies nothing)", () => {
    const part = token.slice(700, 700 + IDENTIFYING_RUN - 1);
    expect(secrets.redact(`x ${part} y`)).toBe(`x ${part} y`);
  });

  it("redacts percent-encoded, form-encoded and JSON-escaped forms of a secret with special characters", () => {
    const password = "p@ss/wörd+<&>\"'\\=%20 end-of-secret";
    const r = new Redactor();
    r.add(password);
    const forms = [
      password,
      encodeURIComponent(password),
      encodeURIComponent(password).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
      new URLSearchParams({ p: password }).toString().slice(2),
      JSON.stringify(password).slice(1, -1),
      JSON.stringify(password)
        .slice(1, -1)
        .replace(/[/<>&'\u007f-\uffff]/g, (c) => (c === "/" ? "\\/" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)),
    ];
    for (const form of forms) {
      for (const part of [form, form.slice(0, Math.ceil(form.length * 0.6)), form.slice(-Math.ceil(form.length * 0.6))]) {
        expect(detector({ password }).find([r.redact(`rejected ${part} here`)])).toEqual([]);
      }
    }
  });

  it("redacts a Basic credential's password and user:password pair, not only the base64", () => {
    const r = new Redactor();
    r.addCredential({ authorization: () => `Basic ${Buffer.from("admin:s3cret-Passw0rd!").toString("base64")}` });
    expect(r.redact("wrong password s3cret-Passw0rd! for admin:s3cret-Passw0rd!")).toBe("wrong password [redacted] for [redacted]");
  });

  it("reads a credential's value only when something is redacted", () => {
    let reads = 0;
    const r = new Redactor();
    const credential = { authorization: () => (reads++, "Bearer opaque-access-token-1234") };
    r.addCredential(credential);
    r.addCredential(credential);
    expect(reads).toBe(0);
    expect(r.redact("echo opaque-access-token-1234")).toBe("echo [redacted]");
    expect(reads).toBe(1);
  });

  it("leaves nothing identifying at any token length, cut anywhere, embedded anywhere (1,000 random cases)", () => {
    const next = random(9);
    for (let i = 0; i < 1_000; i++) {
      const size = 100 + Math.floor(next() * 1_300);
      const t = jwtOfSize(size);
      const r = new Redactor();
      r.add(t);
      const start = Math.floor(next() * (size - IDENTIFYING_RUN));
      const end = start + IDENTIFYING_RUN + Math.floor(next() * (size - start - IDENTIFYING_RUN));
      const text = `${"a".repeat(Math.floor(next() * 600))} ${t.slice(start, end)} ${"b".repeat(Math.floor(next() * 600))}`;
      const out = redactAndCut(text, r, 512);
      expect(detector({ t }).find([out]), `size ${size}, ${start}..${end}`).toEqual([]);
    }
  });
});

describe("unknown tokens, by shape", () => {
  it.each([20, 50, 100, 171, 290, 511, 512, 513, 900, 1_300])("redacts a JWT cut to %i characters (redacted first, then cut)", (length) => {
    const t = jwtOfSize(1_300).slice(0, length);
    for (const text of [t, `Bearer ${t}`, `invalid token ${t} (see logs)`, `{"message":"invalid token ${t}"}`]) {
      const out = redactAndCut(text, undefined, 512);
      expect(out).not.toMatch(/eyJ[A-Za-z0-9_-]{8}/);
      if (length >= 40) expect(detector({ t }).find([out])).toEqual([]);
    }
  });

  it("redacts a lone header or payload part, a header followed by a dot, and a JWT's tail", () => {
    const [header, payload, signature] = jwtOfSize(1_000).split(".") as [string, string, string];
    expect(redact(`part ${payload} end`)).toBe("part [redacted] end");
    expect(redact(`hdr ${header}. end`)).toBe("hdr [redacted] end");
    expect(redact(`tail ${payload.slice(-40)}.${signature} end`)).toBe("tail [redacted] end");
    expect(redact(`jws abcdefgh12.ijklmnop34.qrst end`)).toBe("jws [redacted] end");
  });

  it("redacts credentials after an auth scheme, also percent- and form-encoded", () => {
    expect(redact("Authorization: Bearer opaque-token-value")).toBe("Authorization: Bearer [redacted]");
    expect(redact("header=Bearer%20opaque-token-value")).toBe("header=Bearer [redacted]");
    expect(redact("basic+YWRtaW46c2VjcmV0")).toBe("basic [redacted]");
  });

  it("leaves ordinary gateway text alone", () => {
    for (const text of [
      "function hello.dev not found",
      "POST /system/functions: forbidden: Function:Create on dev:* for fed:system:serviceaccount:dev:fn",
      "dial tcp 10.96.0.12:8080: connect: connection refused",
      "http://gateway.openfaas.svc.cluster.local:8080/system/functions?namespace=dev",
      "image ghcr.io/openfaas/alpine:latest pull failed",
      `{"message":"namespace openfaas-fn is not managed"}`,
    ]) {
      expect(redact(text)).toBe(text);
    }
  });

  it("is linear in a long run without dots (no quadratic backtracking on a few KiB)", () => {
    // Not a timing assertion: the answer must be exact, and the run is long enough that a
    // quadratic pattern would take seconds and hit the test timeout.
    const run = "A".repeat(200_000);
    expect(redact(run)).toBe(run);
  });
});

describe("safe causes", () => {
  it("keep name and code and redact the message against the call's secrets before cutting it", () => {
    const t = jwtOfSize(1_200);
    const r = new Redactor();
    r.add(t);
    const inner = Object.assign(new Error(`socket said ${t.slice(300, 900)}`), { code: "ECONNRESET" });
    const cause = safeCause(Object.assign(new Error(`request failed: ${"x".repeat(480)}${t}`, { cause: inner }), { code: "UND_ERR_SOCKET" }), r);
    expect(cause).toMatchObject({ name: "Error", code: "UND_ERR_SOCKET" });
    expect((cause.cause as Error & { code: string }).code).toBe("ECONNRESET");
    expect(detector({ t }).leaks(cause)).toEqual([]);
  });
});
