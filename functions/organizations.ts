import { createGroupHandler } from "#core/http/handler";
import { organizationsRoutes } from "#core/routes/organizations";
import {
  createOrganization,
  deleteOrganization,
  getOrganization,
  listOrganizations,
  updateOrganization,
} from "#core/services/organizations";

export const handler = createGroupHandler(organizationsRoutes, {
  "organizations.list": (_input, { deps, caller }) => listOrganizations(deps, caller.tenantId),
  "organizations.create": ({ body }, { deps, caller }) => createOrganization(deps, caller.tenantId, body),
  "organizations.get": ({ params }, { deps, caller }) => getOrganization(deps, caller.tenantId, params.organizationId),
  "organizations.update": ({ params, body }, { deps, caller }) =>
    updateOrganization(deps, caller.tenantId, params.organizationId, body),
  "organizations.delete": ({ params }, { deps, caller }) =>
    deleteOrganization(deps, caller.tenantId, params.organizationId),
});
