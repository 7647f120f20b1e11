/** The error-contract check the end-to-end tests apply to every error answer of a sample. */
import { describe, expect, it } from "vitest";
import { contractViolation } from "./support/error-contract.js";

describe("contractViolation", () => {
  it("accepts {code, message, ...that code's details}", () => {
    expect(contractViolation({ code: "MALFORMED_JSON", message: "malformed JSON body" })).toBeUndefined();
    expect(contractViolation({ code: "METHOD_NOT_ALLOWED", message: "PATCH is not allowed on this path", allow: "GET" })).toBeUndefined();
    expect(contractViolation({ code: "GATEWAY_UNAVAILABLE", message: "x", report: { complete: false } }, "tenant-provisioner")).toBeUndefined();
  });

  it.each([
    [{ error: "malformed JSON body", code: "ERR_MALFORMED_JSON" }, undefined, /unknown code "ERR_MALFORMED_JSON"/],
    [{ code: "SOMETHING_NEW", message: "x" }, undefined, /unknown code/],
    [{ message: "x" }, undefined, /unknown code undefined/],
    [{ code: "INVALID_NAME" }, undefined, /no message/],
    [{ code: "INVALID_NAME", message: "" }, undefined, /no message/],
    [{ code: "INVALID_NAME", message: "x", error: "x" }, undefined, /unexpected field\(s\) error/],
    [{ code: "GATEWAY_UNAVAILABLE", message: "x", report: {} }, "ns-admin", /unexpected field\(s\) report/],
    [[{ code: "INTERNAL", message: "x" }], undefined, /not a JSON object/],
    ["internal error", undefined, /not a JSON object/],
  ])("refuses %j", (body, fn, problem) => {
    expect(contractViolation(body, fn)).toMatch(problem);
  });
});
