/**
 * Login security. The routes the security function serves; ../routes.ts joins every group's
 * routes into the one route table.
 */
import { defineRoute, defineRoutes, tenantRoute } from "../http/contract.js";
import {
  blockedIpParams,
  listBlockedIpsResponse,
  loginSecuritySettings,
  updateLoginSecurityBody,
} from "../schemas/security.js";

export const securityRoutes = defineRoutes("security", {
  "security.loginSettings.get": defineRoute({
    method: "GET",
    path: "/api/v1/security/login-settings",
    auth: tenantRoute("security.manage"),
    summary: "Failed-login limits and the IP allowlist",
    response: loginSecuritySettings,
    successStatus: 200,
  }),
  "security.loginSettings.update": defineRoute({
    method: "PATCH",
    path: "/api/v1/security/login-settings",
    auth: tenantRoute("security.manage"),
    summary: "Change failed-login limits or the IP allowlist",
    body: updateLoginSecurityBody,
    response: loginSecuritySettings,
    successStatus: 200,
  }),
  "security.blockedIps.list": defineRoute({
    method: "GET",
    path: "/api/v1/security/blocked-ips",
    auth: tenantRoute("security.manage"),
    summary: "IP addresses blocked after too many failed logins",
    response: listBlockedIpsResponse,
    successStatus: 200,
  }),
  "security.blockedIps.unblock": defineRoute({
    method: "DELETE",
    path: "/api/v1/security/blocked-ips/{ip}",
    auth: tenantRoute("security.manage"),
    summary: "Unblock an IP address",
    params: blockedIpParams,
    successStatus: 204,
  }),
});
