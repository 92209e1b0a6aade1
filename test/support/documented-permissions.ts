import { readFileSync } from "node:fs";

export interface DocumentedNeed {
  /** `GET /extensions`: the method and the path below /api/v1. */
  request: string;
  permission?: string;
  companyContacts?: "view" | "manage";
}

/**
 * The table "What each route needs" of docs/permissions.md, by route id. Tests take what a
 * route requires from here rather than from the route table they test, so a permission
 * dropped from the code alone fails them.
 */
export function documentedRouteNeeds(): Map<string, DocumentedNeed> {
  const doc = readFileSync("docs/permissions.md", "utf8");
  const section = doc.split("## What each route needs")[1]?.split("\n## ")[0] ?? "";
  const needs = new Map<string, DocumentedNeed>();
  for (const line of section.split("\n")) {
    const cells = line
      .split("|")
      .slice(1, -1)
      .map((cell) => cell.trim().replaceAll("`", ""));
    const [id, request, permission, companyContacts] = cells;
    if (!id || !request || cells.length !== 4 || !/^[a-zA-Z.]+$/.test(id) || id === "Route") continue;
    if (companyContacts !== "" && companyContacts !== "view" && companyContacts !== "manage") {
      throw new Error(`docs/permissions.md: ${id} has Company Contacts "${companyContacts}" (view, manage or blank)`);
    }
    needs.set(id, {
      request,
      ...(permission ? { permission } : {}),
      ...(companyContacts ? { companyContacts } : {}),
    });
  }
  return needs;
}
