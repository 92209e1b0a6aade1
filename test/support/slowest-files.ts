import { relative } from "node:path";
import type { Reporter, TestModule } from "vitest/node";

/**
 * A vitest reporter that ends a run with its slowest test files, so a contributor sees where
 * the suite's time goes without reading the JSON report. Time per file = importing it
 * (collect) plus its tests and hooks; files run in parallel, so these add up to more than the
 * wall time.
 */
export default class SlowestFiles implements Reporter {
  private readonly count: number;

  /** Options as vitest passes them: `["./test/support/slowest-files.ts", { count: 8 }]`. */
  constructor(options: { count?: number } = {}) {
    this.count = options.count ?? 8;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const rows = testModules
      .map((module) => {
        const { collectDuration, duration } = module.diagnostic();
        return {
          file: relative(process.cwd(), module.moduleId),
          seconds: (collectDuration + duration) / 1000,
          tests: [...module.children.allTests()].length,
        };
      })
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, this.count);
    if (rows.length === 0) return;
    const width = Math.max(...rows.map((row) => row.file.length));
    const lines = rows.map(
      (row) =>
        `  ${row.file.padEnd(width)}  ${row.seconds.toFixed(1).padStart(6)} s  ${String(row.tests).padStart(4)} tests`,
    );
    process.stdout.write(`\nSlowest test files:\n${lines.join("\n")}\n`);
  }
}
