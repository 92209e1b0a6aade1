/**
 * The route table: every HTTP route of the PBX, declared once. The CDK API stack, the
 * local adapter, the Lambda dispatch, the OpenAPI document and the tests all read this.
 *
 * Each function group declares its routes in routes/<group>.ts and this table joins them:
 * a Lambda function imports its own group's file only, so it builds only its own group's
 * zod schemas at init (docs/decisions.md, D-speed-2).
 */
import type { FunctionGroup } from "./http/contract.js";
import { authRoutes } from "./routes/auth.js";
import { contactsRoutes } from "./routes/contacts.js";
import { eventsRoutes } from "./routes/events.js";
import { extensionsRoutes } from "./routes/extensions.js";
import { metaRoutes } from "./routes/meta.js";
import { organizationsRoutes } from "./routes/organizations.js";
import { permissionsRoutes } from "./routes/permissions.js";
import { platformRoutes } from "./routes/platform.js";
import { recordsRoutes } from "./routes/records.js";
import { rolesRoutes } from "./routes/roles.js";
import { securityRoutes } from "./routes/security.js";
import { tenantRoutes } from "./routes/tenant.js";

/** Every group's routes, by group: a group left out here does not compile. */
export const routesByGroup = {
  platform: platformRoutes,
  auth: authRoutes,
  tenant: tenantRoutes,
  extensions: extensionsRoutes,
  security: securityRoutes,
  events: eventsRoutes,
  roles: rolesRoutes,
  permissions: permissionsRoutes,
  contacts: contactsRoutes,
  records: recordsRoutes,
  organizations: organizationsRoutes,
  meta: metaRoutes,
} as const satisfies Record<FunctionGroup, object>;

export const routes = {
  ...platformRoutes,
  ...authRoutes,
  ...tenantRoutes,
  ...extensionsRoutes,
  ...securityRoutes,
  ...eventsRoutes,
  ...rolesRoutes,
  ...permissionsRoutes,
  ...contactsRoutes,
  ...recordsRoutes,
  ...organizationsRoutes,
  ...metaRoutes,
} as const;

export type Routes = typeof routes;
export type RouteId = keyof Routes;
export const routeList = Object.values(routes);
