import { defineConfig } from "vitest/config";
import { sharedTest } from "./vitest.config.js";

/** `npm run test:slow`: the load, fuzz, flood and interop tests under test/slow/. */
export default defineConfig({
  test: {
    ...sharedTest,
    include: ["test/slow/**/*.test.ts"],
    reporters: ["default", ["json", { outputFile: ".reports/vitest-slow.json" }], "./test/support/slowest-files.ts"],
  },
});
