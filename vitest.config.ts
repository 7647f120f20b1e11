import { defineConfig } from "vitest/config";

// `npm test` must need nothing outside the repository: the conformance suite (which reads
// ../shared/reference) has its own config and script.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // test/sandbox/fixtures/root/template links to the repository's template (a project's pulled copy),
    // whose sample test is not a test of this suite.
    exclude: ["test/conformance/**", "**/node_modules/**", "**/dist/**", "test/sandbox/fixtures/root/template/**"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 10_000,
    reporters: ["default"],
  },
});
