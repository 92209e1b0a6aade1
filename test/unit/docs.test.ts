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

describe("docs/deploy.md", () => {
  it("lists each function's access exactly as FUNCTION_ACCESS grants it", async () => {
    // Arrange
    const { FUNCTION_ACCESS } = await import("../../infra/stacks/api-stack.js");
    const doc = readFileSync("docs/deploy.md", "utf8");
    const names = Object.keys(FUNCTION_ACCESS);
    const rows = new Map(
      doc
        .split("\n")
        .map((line) =>
          line
            .split("|")
            .slice(1, -1)
            .map((cell) => cell.trim()),
        )
        .filter((cells) => cells.length === 7 && names.includes(cells[0] as string))
        .map((cells) => [cells[0], cells.slice(1)] as const),
    );
    const yesNo = (value: boolean) => (value ? "yes" : "no");

    // Act
    const expected = Object.entries(FUNCTION_ACCESS).map(([name, access]) => [
      name,
      [
        { none: "none", read: "read", readWrite: "read/write" }[access.table],
        yesNo(access.masterKey),
        yesNo(access.cursorKey === true),
        yesNo(access.platformKey),
        yesNo(access.ses),
        `${access.memorySize} MB, ${access.timeout.toSeconds()} s`,
      ],
    ]);

    // Assess: the table cell may add a note after the fact it states ("read/write + stream", "yes (why)").
    expect([...rows.keys()].sort()).toEqual(names.sort());
    for (const [name, cells] of expected) {
      const documented = rows.get(name as string) ?? [];
      (cells as string[]).forEach((cell, i) => {
        expect(documented[i]?.split(" (")[0]?.replace(" + stream", ""), `${name}, column ${i + 2}`).toBe(cell);
      });
    }
  });
});
