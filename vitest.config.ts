import { defineConfig, type ViteUserConfig } from "vitest/config";

/**
 * What both runs share: the emulators started once per run, the environment, the cheaper test
 * password hashes, the timeouts.
 */
export const sharedTest: NonNullable<ViteUserConfig["test"]> = {
  globalSetup: ["test/support/global-setup.ts"],
  setupFiles: ["test/support/password-cost.ts"],
  pool: "forks",
  // The Lambdas run on Node 22; this machine has Node 20, which the SDK warns about at every import.
  env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  testTimeout: 30_000,
  hookTimeout: 180_000,
};

/**
 * `npm test`: everything but test/slow/ (load, fuzz, flood and interop tests, run by
 * `npm run test:slow` with vitest.slow.config.ts). Ends with the slowest files.
 */
export default defineConfig({
  test: {
    ...sharedTest,
    include: ["test/**/*.test.ts"],
    exclude: ["test/slow/**", "**/node_modules/**"],
    reporters: ["default", ["json", { outputFile: ".reports/vitest.json" }], "./test/support/slowest-files.ts"],
  },
});
