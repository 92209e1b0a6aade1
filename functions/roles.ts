import { createGroupHandler } from "#core/http/handler";
import { rolesRoutes } from "#core/routes/roles";
import { createRole, deleteRole, getRole, listRoles, roleMembers, updateRole } from "#core/services/role-admin";

export const handler = createGroupHandler(rolesRoutes, {
  "roles.list": (_input, { deps, caller }) => listRoles(deps, caller.tenantId),
  "roles.create": ({ body }, { deps, caller }) => createRole(deps, caller, body),
  "roles.get": ({ params }, { deps, caller }) => getRole(deps, caller.tenantId, params.roleId),
  "roles.update": ({ params, body }, { deps, caller }) => updateRole(deps, caller, params.roleId, body),
  "roles.delete": ({ params, query }, { deps, caller }) => deleteRole(deps, caller, params.roleId, query.reassignTo),
  "roles.members": ({ params }, { deps, caller }) => roleMembers(deps, caller.tenantId, params.roleId),
});
