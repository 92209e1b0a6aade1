import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { RouteContract } from "../../layers/core/http/contract.js";
import { DEFAULT_ROLE_IDS, DEFAULT_ROLES, PERMISSIONS } from "../../layers/core/permissions.js";
import { routeList } from "../../layers/core/routes.js";
import { documentedRouteNeeds } from "../support/documented-permissions.js";

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

describe("docs/permissions.md, what each route needs", () => {
  it("lists every tenant route with exactly the permission and Company Contacts access the route table requires", () => {
    // Arrange
    const tenantRoutes = (routeList as RouteContract[]).filter((route) => route.auth.kind === "tenant");

    // Act
    const documented = documentedRouteNeeds();

    // Assess
    expect([...documented.keys()].sort()).toEqual(tenantRoutes.map((route) => route.id).sort());
    for (const route of tenantRoutes) {
      const permission = (route.auth as { permission?: string }).permission;
      expect(documented.get(route.id), route.id).toEqual({
        request: `${route.method} ${route.path.replace("/api/v1", "")}`,
        ...(permission ? { permission } : {}),
        ...(route.linkus?.companyContacts ? { companyContacts: route.linkus.companyContacts } : {}),
      });
    }
  });
});

describe("docs/deploy.md", () => {
  it("lists each function's access exactly as FUNCTION_ACCESS grants it", async () => {
    // Arrange
    const { FUNCTION_ACCESS } = await import("../../infra/stacks/function-access.js");
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
        .filter((cells) => cells.length === 8 && names.includes(cells[0] as string))
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
        yesNo(access.originSecret === true),
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

describe("docs/linkus-8111-protocol.md", () => {
  it("lists exactly the server frame types and feed entities the hub sends", async () => {
    const { FEED_ENTITIES, SERVER_FRAME_TYPES } = await import("../../listener/linkus/frames.js");
    const doc = readFileSync("docs/linkus-8111-protocol.md", "utf8");
    const section = doc.slice(doc.indexOf("## Server → client"), doc.indexOf("## Client → server"));
    const documented = section
      .split("\n")
      .map((line) => /^\|\s*`([a-z]+)`\s*\|/.exec(line)?.[1])
      .filter((type): type is string => type !== undefined && !["contacts", "permissions"].includes(type));
    expect(documented.sort()).toEqual([...SERVER_FRAME_TYPES].sort());
    for (const [topic, entities] of Object.entries(FEED_ENTITIES)) {
      const row = section.split("\n").find((line) => line.startsWith(`| \`${topic}\``)) ?? "";
      for (const entity of entities) expect(row, `${topic}: ${entity}`).toContain(`\`${entity}\``);
    }
    expect(section).not.toContain('"companyContact"');
  });
});
