import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AccessTokenError, AccessTokenService } from "../../sandbox/src/iam/access-tokens.js";

const GATEWAY = "http://127.0.0.1:8080";
let service: AccessTokenService;

beforeAll(async () => {
  service = await AccessTokenService.create();
  service.setGatewayUrl(GATEWAY);
});
afterEach(() => {
  vi.useRealTimers();
});

const subject = { iss: "https://kubernetes.default.svc.cluster.local", sub: "system:serviceaccount:dev:whoami" };

describe("access token verification (remembered until exp)", () => {
  it("a token verified once is still refused once it has expired", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2026-01-01T00:00:00Z") });
    const token = await service.issue(subject, ["p"], 60);
    expect((await service.verify(token))["sub"]).toBe(`fed:${subject.sub}`);
    expect((await service.verify(token))["policy"]).toEqual(["p"]);
    vi.setSystemTime(new Date("2026-01-01T00:01:00Z"));
    await expect(service.verify(token)).rejects.toThrow(AccessTokenError);
    await expect(service.verify(token)).rejects.toThrow(/expired/);
  });

  it("a remembered function token is still refused on the API, and accepted for invocation", async () => {
    const access = await service.verify(await service.issue(subject, ["p"], 600));
    const fnToken = await service.issueFunctionToken(access, { permissions: ["dev:fn"], audience: ["dev:fn"] });
    expect((await service.verify(fnToken, { allowFunctionToken: true }))["function"]).toEqual({ permissions: ["dev:fn"], audience: ["dev:fn"] });
    await expect(service.verify(fnToken)).rejects.toThrow(/function token/);
  });

  it("a token differing from a remembered one in its signature is verified, and refused", async () => {
    const token = await service.issue(subject, ["p"], 600);
    await service.verify(token);
    const [h, p, sig] = token.split(".");
    const forged = `${h}.${p}.${sig!.startsWith("A") ? `B${sig!.slice(1)}` : `A${sig!.slice(1)}`}`;
    await expect(service.verify(forged)).rejects.toThrow(AccessTokenError);
  });

  it("the claims handed out cannot be changed by a caller", async () => {
    const claims = await service.verify(await service.issue(subject, ["p"], 600));
    expect(() => {
      claims["policy"] = ["admin"];
    }).toThrow(TypeError);
  });
});
