import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_ROLE_IDS, DEFAULT_ROLES, PERMISSIONS } from "../../layers/core/permissions.js";

describe("docs/permissions.md", () => {
  it("documents exactly the permission sets the code enforces", () => {
    // Arrange
    const doc = readFileSync("docs/permissions.md", "utf8");
    const rows = doc
      .split("\n")
      .filter((line) => /^\|\s*`[a-z_.]+`\s*\|/.test(line))
      .map((line) =>
        line
          .split("|")
          .slice(1, -1)
          .map((cell) => cell.trim()),
      )
      // The role table's cells are ticks or blanks; the meanings table's are prose.
      .filter((cells) => cells.slice(1).every((cell) => cell === "✓" || cell === ""));

    // Act
    const documented = new Map(
      rows.map((cells) => [cells[0]?.replaceAll("`", ""), cells.slice(1).map((cell) => cell === "✓")] as const),
    );

    // Assess
    expect([...documented.keys()]).toEqual([...PERMISSIONS]);
    for (const permission of PERMISSIONS) {
      const expected = DEFAULT_ROLE_IDS.map((role) => DEFAULT_ROLES[role].permissions.includes(permission));
      expect(documented.get(permission), permission).toEqual(expected);
    }
  });
});
