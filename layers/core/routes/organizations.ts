/**
 * Organizations. The routes the organizations function serves; ../routes.ts joins every group's
 * routes into the one route table.
 */
import { defineRoute, defineRoutes, tenantRoute } from "../http/contract.js";
import {
  createOrganizationBody,
  listOrganizationsResponse,
  organization,
  organizationParams,
  updateOrganizationBody,
} from "../schemas/organizations.js";

export const organizationsRoutes = defineRoutes("organizations", {
  "organizations.list": defineRoute({
    method: "GET",
    path: "/api/v1/organizations",
    auth: tenantRoute("organizations.view"),
    summary: "List organizations",
    response: listOrganizationsResponse,
    successStatus: 200,
  }),
  "organizations.create": defineRoute({
    method: "POST",
    path: "/api/v1/organizations",
    auth: tenantRoute("organizations.manage"),
    summary: "Create an organization",
    body: createOrganizationBody,
    response: organization,
    successStatus: 201,
  }),
  "organizations.get": defineRoute({
    method: "GET",
    path: "/api/v1/organizations/{organizationId}",
    auth: tenantRoute("organizations.view"),
    summary: "Get an organization",
    params: organizationParams,
    response: organization,
    successStatus: 200,
  }),
  "organizations.update": defineRoute({
    method: "PATCH",
    path: "/api/v1/organizations/{organizationId}",
    auth: tenantRoute("organizations.manage"),
    summary: "Rename, describe or move an organization",
    params: organizationParams,
    body: updateOrganizationBody,
    response: organization,
    successStatus: 200,
  }),
  "organizations.delete": defineRoute({
    method: "DELETE",
    path: "/api/v1/organizations/{organizationId}",
    auth: tenantRoute("organizations.manage"),
    summary: "Delete an organization that has no members and no child organizations",
    params: organizationParams,
    successStatus: 204,
  }),
});
