/**
 * Login security. The routes the security function serves; ../routes.ts joins every group's
 * routes into the one route table.
 */
import { defineRoute, tenantRoute } from "../http/contract.js";
import {
  blockedIpParams,
  listBlockedIpsResponse,
  loginSecuritySettings,
  updateLoginSecurityBody,
} from "../schemas/security.js";

export const securityRoutes = {
  "security.loginSettings.get": defineRoute({
    id: "security.loginSettings.get",
    group: "security",
    method: "GET",
    path: "/api/v1/security/login-settings",
    auth: tenantRoute("security.manage"),
    summary: "Failed-login limits and the IP allowlist",
    response: loginSecuritySettings,
    successStatus: 200,
  }),
  "security.loginSettings.update": defineRoute({
    id: "security.loginSettings.update",
    group: "security",
    method: "PATCH",
    path: "/api/v1/security/login-settings",
    auth: tenantRoute("security.manage"),
    summary: "Change failed-login limits or the IP allowlist",
    body: updateLoginSecurityBody,
    response: loginSecuritySettings,
    successStatus: 200,
  }),
  "security.blockedIps.list": defineRoute({
    id: "security.blockedIps.list",
    group: "security",
    method: "GET",
    path: "/api/v1/security/blocked-ips",
    auth: tenantRoute("security.manage"),
    summary: "IP addresses blocked after too many failed logins",
    response: listBlockedIpsResponse,
    successStatus: 200,
  }),
  "security.blockedIps.unblock": defineRoute({
    id: "security.blockedIps.unblock",
    group: "security",
    method: "DELETE",
    path: "/api/v1/security/blocked-ips/{ip}",
    auth: tenantRoute("security.manage"),
    summary: "Unblock an IP address",
    params: blockedIpParams,
    successStatus: 204,
  }),
} as const;
