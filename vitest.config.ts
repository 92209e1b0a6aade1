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
 * Files that change the process for themselves (environment variables read at module load, the
 * log level, the login gate's limits) or whose servers hold fixed module state: each keeps a
 * fresh module graph of its own. The browser and CDK files are few and long, so isolation costs
 * them little.
 */
export const ISOLATED = [
  "test/integration/auth-gate.test.ts",
  "test/integration/caller-ip.test.ts",
  "test/integration/logging.test.ts",
  "test/integration/welcome-outbox.test.ts",
  "test/listener/sip-gate.test.ts",
  "test/unit/middleware/request.test.ts",
  "test/browser/**/*.test.ts",
  "test/infra/**/*.test.ts",
];

/**
 * `npm test`: everything but test/slow/ (load, fuzz, flood and interop tests, run by
 * `npm run test:slow` with vitest.slow.config.ts). Ends with the slowest files.
 *
 * The other files share their workers' module graphs (`isolate: false`): each test provisions
 * its own tenants, so nothing they share is data, and re-importing the SDK, zod and the core for
 * each of ~60 files cost ~70 s of the run's CPU. Stale state between files would show up as a
 * failure under `npx vitest run --project shared --sequence.shuffle.files` (passed 2026-12-01).
 */
export default defineConfig({
  test: {
    ...sharedTest,
    reporters: ["default", ["json", { outputFile: ".reports/vitest.json" }], "./test/support/slowest-files.ts"],
    projects: [
      { extends: true, test: { name: "isolated", include: ISOLATED } },
      {
        extends: true,
        test: {
          name: "shared",
          include: ["test/**/*.test.ts"],
          exclude: ["test/slow/**", "**/node_modules/**", ...ISOLATED],
          isolate: false,
        },
      },
    ],
  },
});
