/** The connector's settings: the Go connector's names and defaults, strict values, one clear error per mistake. */
import { describe, expect, it } from "vitest";
import { configFromEnvironment } from "../../connectors/cron-connector/src/config.js";
import { ConnectorError } from "../../connectors/cron-connector/src/errors.js";

const GW = { gateway_url: "http://gateway.openfaas:8080/" };

describe("configFromEnvironment", () => {
  it("defaults: sync, 30 s rebuilds, 5 s rebuild timeout, no invocation deadline, every listed namespace, auto function auth, the SDK's token path", () => {
    expect(configFromEnvironment(GW)).toEqual({
      gatewayURL: "http://gateway.openfaas:8080",
      tokenURL: "http://gateway.openfaas:8080/oauth/token",
      tokenFile: "/var/secrets/tokens/openfaas-token",
      async: false,
      contentType: undefined,
      rebuildIntervalMs: 30_000,
      rebuildTimeoutMs: 5_000,
      upstreamTimeoutMs: Infinity,
      namespaces: undefined,
      functionAuth: "auto",
      timeScale: 1,
    });
  });

  it("reads every setting", () => {
    expect(
      configFromEnvironment({
        ...GW,
        asynchronous_invocation: "1",
        content_type: "application/json",
        rebuild_interval: "1m30s",
        rebuild_timeout: "2s",
        upstream_timeout: "5m",
        namespaces: "dev, staging dev",
        function_auth: "always",
        cron_time_scale: "60",
        token_mount_path: "/run/tokens",
        OPENFAAS_TOKEN_URL: "http://gateway.openfaas:8080/oauth/token?x=1",
      }),
    ).toMatchObject({
      async: true,
      contentType: "application/json",
      rebuildIntervalMs: 90_000,
      rebuildTimeoutMs: 2_000,
      upstreamTimeoutMs: 300_000,
      namespaces: ["dev", "staging"],
      functionAuth: "always",
      timeScale: 60,
      tokenFile: "/run/tokens/openfaas-token",
      tokenURL: "http://gateway.openfaas:8080/oauth/token?x=1",
    });
    expect(configFromEnvironment({ ...GW, OPENFAAS_TOKEN_FILE: "/t/token" }).tokenFile).toBe("/t/token");
  });

  it.each([
    [{}, "gateway_url is not set"],
    [{ gateway_url: "gateway:8080" }, "must be an http(s) URL"],
    [{ gateway_url: "ftp://gw" }, "must be an http(s) URL"],
    [{ gateway_url: "http://admin:s3cret-pw@gw:8080" }, "must not hold credentials"],
    [{ ...GW, asynchronous_invocation: "yes" }, "asynchronous_invocation must be true or false"],
    [{ ...GW, async_invocation: "true" }, "the variable is asynchronous_invocation"],
    [{ ...GW, basic_auth: "true" }, "basic_auth is not supported"],
    [{ ...GW, rebuild_interval: "30" }, "rebuild_interval \"30\" is not a duration"],
    [{ ...GW, rebuild_interval: "10ms" }, "rebuild_interval must be at least 100 ms"],
    [{ ...GW, rebuild_timeout: "0s" }, "rebuild_timeout must be at least 1 ms"],
    [{ ...GW, upstream_timeout: "-1s" }, "upstream_timeout must be at least 0 ms"],
    [{ ...GW, namespaces: "dev,Staging" }, 'namespaces: "Staging" is not a namespace name'],
    [{ ...GW, function_auth: "never" }, "function_auth must be auto or always"],
    [{ ...GW, cron_time_scale: "0" }, "cron_time_scale must be a positive number"],
  ])("refuses %j: %s", (env, message) => {
    expect(() => configFromEnvironment(env)).toThrow(expect.objectContaining({ code: "ERR_CONFIG", message: expect.stringContaining(message) }));
    expect(() => configFromEnvironment(env)).toThrow(ConnectorError);
  });

  it("a gateway_url with credentials is refused without quoting them", () => {
    expect(() => configFromEnvironment({ gateway_url: "http://admin:s3cret-pw@gw:8080" })).toThrow(expect.not.objectContaining({ message: expect.stringContaining("s3cret") }));
  });

  it("basic_auth=false is harmless (the chart's IAM values leave it off)", () => {
    expect(configFromEnvironment({ ...GW, basic_auth: "false" }).gatewayURL).toBe("http://gateway.openfaas:8080");
  });
});
