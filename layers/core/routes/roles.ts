/**
 * Roles. The routes the roles function serves; ../routes.ts joins every group's routes into the
 * one route table.
 */
import { defineRoute, defineRoutes, tenantRoute } from "../http/contract.js";
import {
  createRoleBody,
  deleteRoleQuery,
  listRolesResponse,
  role,
  roleMembersResponse,
  roleParams,
  updateRoleBody,
} from "../schemas/roles.js";

export const rolesRoutes = defineRoutes("roles", {
  "roles.list": defineRoute({
    method: "GET",
    path: "/api/v1/roles",
    auth: tenantRoute("roles.view"),
    summary: "System and custom roles with their permissions and holder counts",
    response: listRolesResponse,
    successStatus: 200,
  }),
  "roles.create": defineRoute({
    method: "POST",
    path: "/api/v1/roles",
    auth: tenantRoute("roles.manage"),
    summary: "Create a custom role from permissions you hold",
    body: createRoleBody,
    response: role,
    successStatus: 201,
  }),
  "roles.get": defineRoute({
    method: "GET",
    path: "/api/v1/roles/{roleId}",
    auth: tenantRoute("roles.view"),
    summary: "Get a role",
    params: roleParams,
    response: role,
    successStatus: 200,
  }),
  "roles.update": defineRoute({
    method: "PATCH",
    path: "/api/v1/roles/{roleId}",
    auth: tenantRoute("roles.manage"),
    summary: "Change a custom role; takes effect for its holders at once",
    params: roleParams,
    body: updateRoleBody,
    response: role,
    successStatus: 200,
  }),
  "roles.delete": defineRoute({
    method: "DELETE",
    path: "/api/v1/roles/{roleId}",
    auth: tenantRoute("roles.manage"),
    summary: "Delete a custom role that nobody holds, or move its holders to reassignTo first",
    params: roleParams,
    query: deleteRoleQuery,
    successStatus: 204,
  }),
  "roles.members": defineRoute({
    method: "GET",
    path: "/api/v1/roles/{roleId}/members",
    auth: tenantRoute("roles.view"),
    summary: "The extensions that hold a role",
    params: roleParams,
    response: roleMembersResponse,
    successStatus: 200,
  }),
});
