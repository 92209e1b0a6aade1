/**
 * The signed-in user and the tenant's own settings. The routes the tenant function serves;
 * ../routes.ts joins every group's routes into the one route table.
 */
import { defineRoute, defineRoutes, tenantRoute } from "../http/contract.js";
import { changeOwnPasswordBody, principal, sessionTokens } from "../schemas/auth.js";
import { effectivePermissions } from "../schemas/linkus-rules.js";
import { tenantSettings, updateTenantSettingsBody } from "../schemas/tenants.js";

export const tenantRoutes = defineRoutes("tenant", {
  "me.get": defineRoute({
    method: "GET",
    path: "/api/v1/me",
    auth: tenantRoute(),
    summary: "The signed-in user's tenant, extension and permissions",
    response: principal,
    successStatus: 200,
  }),
  "me.password": defineRoute({
    method: "POST",
    path: "/api/v1/me/password",
    auth: tenantRoute(),
    summary: "Change your own user password; this session continues with new tokens, other sessions end",
    // In Linkus, changing the password lives in the Settings menu.
    linkus: { menu: "settings", operation: "change_password" },
    body: changeOwnPasswordBody,
    response: sessionTokens,
    successStatus: 200,
  }),
  "me.permissions": defineRoute({
    method: "GET",
    path: "/api/v1/me/permissions",
    auth: tenantRoute(),
    summary: "Your role permissions, visible Linkus menus, allowed operations and Company Contacts access",
    response: effectivePermissions,
    successStatus: 200,
  }),
  "settings.get": defineRoute({
    method: "GET",
    path: "/api/v1/settings",
    auth: tenantRoute("settings.manage"),
    summary: "The PBX's feature settings",
    response: tenantSettings,
    successStatus: 200,
  }),
  "settings.update": defineRoute({
    method: "PATCH",
    path: "/api/v1/settings",
    auth: tenantRoute("settings.manage"),
    summary: "Change feature settings such as Organization Management",
    body: updateTenantSettingsBody,
    response: tenantSettings,
    successStatus: 200,
  }),
});
