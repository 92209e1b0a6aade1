/**
 * Writes layers/core/routes/access.ts: each route's method, path and credential kind, taken from
 * the route table, for the authorizer, which must not load the table's schemas (a 37 KiB bundle
 * instead of ~200). test/unit/route-match.test.ts fails when the file and the table disagree.
 *
 *   npm run routes:access
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../infra/constructs/pbx-function.js";
import { routeAccessOf } from "../layers/core/routes/access.js";
import { routeList } from "../layers/core/routes.js";

const rows = routeAccessOf(routeList).map(
  ({ method, path, auth }) =>
    `  { method: ${JSON.stringify(method)}, path: ${JSON.stringify(path)}, auth: ${JSON.stringify(auth)} },`,
);
const source = `/**
 * Each route's method, path and credential kind, for the authorizer (functions/authorizer.ts),
 * which matches a request's route with these instead of loading the route table's schemas.
 * Generated from layers/core/routes.ts by \`npm run routes:access\`; do not edit.
 */
import type { RouteAuth, RouteContract } from "../http/contract.js";

export interface RouteAccess {
  readonly method: string;
  readonly path: string;
  readonly auth: RouteAuth["kind"];
}

/** What access.ts holds for a table of routes (the generator writes it; a test compares). */
export function routeAccessOf(routes: readonly RouteContract[]): RouteAccess[] {
  return routes.map((route) => ({ method: route.method, path: route.path, auth: route.auth.kind }));
}

export const routeAccess: readonly RouteAccess[] = [
${rows.join("\n")}
];
`;
writeFileSync(join(projectRoot, "layers/core/routes/access.ts"), source);
console.log(`layers/core/routes/access.ts: ${rows.length} routes`);
