import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ISOLATED } from "../../vitest.config.js";

/** Writing to the environment, in the ways the suite's files do it. */
const CHANGES_ENVIRONMENT =
  /process\.env(\.[A-Z_]+|\[[^\]]+\])\s*=[^=]|delete process\.env|Object\.assign\(process\.env|vi\.stubEnv/;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path.startsWith(join("test", "slow")) ? [] : testFiles(path);
    return entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

const isolated = (file: string) =>
  ISOLATED.some((pattern) =>
    pattern.endsWith("/**/*.test.ts") ? file.startsWith(pattern.slice(0, -"**/*.test.ts".length)) : file === pattern,
  );

describe("test isolation (vitest.config.ts)", () => {
  it("runs every file that changes the environment in the isolated project", () => {
    // Files in the shared project reuse one module graph: an environment variable one of them
    // sets would reach modules another already loaded (D-speed-4).
    const changing = testFiles("test").filter((file) => CHANGES_ENVIRONMENT.test(readFileSync(file, "utf8")));
    expect(changing.length).toBeGreaterThan(0);
    expect(changing.filter((file) => !isolated(file))).toEqual([]);
  });

  it("names only files that exist", () => {
    const files = new Set(testFiles("test"));
    for (const pattern of ISOLATED.filter((p) => !p.includes("*"))) expect(files.has(pattern), pattern).toBe(true);
  });
});
