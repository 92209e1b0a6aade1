/**
 * Platform: the SaaS operator provisions tenants. The routes the platform function serves;
 * ../routes.ts joins every group's routes into the one route table.
 */
import { defineRoute, defineRoutes, platform } from "../http/contract.js";
import {
  createTenantBody,
  createTenantResponse,
  listTenantsQuery,
  listTenantsResponse,
  tenant,
  tenantParams,
} from "../schemas/tenants.js";

export const platformRoutes = defineRoutes("platform", {
  "platform.tenants.create": defineRoute({
    method: "POST",
    path: "/api/v1/platform/tenants",
    auth: platform,
    summary: "Provision a tenant (one PBX) and its Super Administrator extension",
    body: createTenantBody,
    response: createTenantResponse,
    successStatus: 201,
  }),
  "platform.tenants.list": defineRoute({
    method: "GET",
    path: "/api/v1/platform/tenants",
    auth: platform,
    summary: "List tenants, oldest first, with a cursor",
    query: listTenantsQuery,
    response: listTenantsResponse,
    successStatus: 200,
  }),
  "platform.tenants.get": defineRoute({
    method: "GET",
    path: "/api/v1/platform/tenants/{tenantId}",
    auth: platform,
    summary: "Get a tenant",
    params: tenantParams,
    response: tenant,
    successStatus: 200,
  }),
  "platform.tenants.suspend": defineRoute({
    method: "POST",
    path: "/api/v1/platform/tenants/{tenantId}/suspend",
    auth: platform,
    summary: "Suspend a tenant: its users can no longer log in or use the API",
    params: tenantParams,
    response: tenant,
    successStatus: 200,
  }),
  "platform.tenants.resume": defineRoute({
    method: "POST",
    path: "/api/v1/platform/tenants/{tenantId}/resume",
    auth: platform,
    summary: "Lift a suspension",
    params: tenantParams,
    response: tenant,
    successStatus: 200,
  }),
  "platform.tenants.delete": defineRoute({
    method: "DELETE",
    path: "/api/v1/platform/tenants/{tenantId}",
    auth: platform,
    summary: "Delete a tenant and every item it owns; its slug becomes free",
    params: tenantParams,
    successStatus: 204,
  }),
});
