import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * `npm run test:slow`: the fuzz, flood and load tests under test/slow/, which `npm test` leaves
 * out. The same setup as vitest.config.ts; only the files differ (not mergeConfig, which would
 * add these to the default include instead of replacing it).
 */
export default defineConfig({
  test: {
    ...base.test,
    include: ["test/slow/**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    reporters: ["default"],
  },
});
