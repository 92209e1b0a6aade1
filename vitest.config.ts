import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Slow fuzz, flood and load tests run with `npm run test:slow` (vitest.slow.config.ts).
    exclude: ["test/slow/**", "**/node_modules/**"],
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    // The Lambdas run on Node 22; this machine has Node 20, which the SDK warns about at every import.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    testTimeout: 30_000,
    hookTimeout: 180_000,
    reporters: ["default", ["json", { outputFile: ".reports/vitest.json" }]],
  },
});
