/**
 * Roles. The routes the roles function serves; ../routes.ts joins every group's routes into the
 * one route table.
 */
import { defineRoute, tenantRoute } from "../http/contract.js";
import {
  createRoleBody,
  deleteRoleQuery,
  listRolesResponse,
  role,
  roleMembersResponse,
  roleParams,
  updateRoleBody,
} from "../schemas/roles.js";

export const rolesRoutes = {
  "roles.list": defineRoute({
    id: "roles.list",
    group: "roles",
    method: "GET",
    path: "/api/v1/roles",
    auth: tenantRoute("roles.view"),
    summary: "System and custom roles with their permissions and holder counts",
    response: listRolesResponse,
    successStatus: 200,
  }),
  "roles.create": defineRoute({
    id: "roles.create",
    group: "roles",
    method: "POST",
    path: "/api/v1/roles",
    auth: tenantRoute("roles.manage"),
    summary: "Create a custom role from permissions you hold",
    body: createRoleBody,
    response: role,
    successStatus: 201,
  }),
  "roles.get": defineRoute({
    id: "roles.get",
    group: "roles",
    method: "GET",
    path: "/api/v1/roles/{roleId}",
    auth: tenantRoute("roles.view"),
    summary: "Get a role",
    params: roleParams,
    response: role,
    successStatus: 200,
  }),
  "roles.update": defineRoute({
    id: "roles.update",
    group: "roles",
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
    id: "roles.delete",
    group: "roles",
    method: "DELETE",
    path: "/api/v1/roles/{roleId}",
    auth: tenantRoute("roles.manage"),
    summary: "Delete a custom role that nobody holds, or move its holders to reassignTo first",
    params: roleParams,
    query: deleteRoleQuery,
    successStatus: 204,
  }),
  "roles.members": defineRoute({
    id: "roles.members",
    group: "roles",
    method: "GET",
    path: "/api/v1/roles/{roleId}/members",
    auth: tenantRoute("roles.view"),
    summary: "The extensions that hold a role",
    params: roleParams,
    response: roleMembersResponse,
    successStatus: 200,
  }),
} as const;
