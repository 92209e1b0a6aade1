import { createGroupHandler } from "#core/http/handler";
import { tenantRoutes } from "#core/routes/tenant";
import { changeOwnPassword, currentPrincipal } from "#core/services/auth";
import { callerPermissions } from "#core/services/linkus-permissions";
import { getTenantSettings, updateTenantSettings } from "#core/services/tenants";

export const handler = createGroupHandler(tenantRoutes, {
  "me.get": (_input, { deps, caller }) => currentPrincipal(deps, caller),
  "me.password": ({ body }, { deps, caller, sourceIp }) => changeOwnPassword(deps, caller, body, { sourceIp }),
  "me.permissions": (_input, { deps, caller }) => callerPermissions(deps, caller),
  "settings.get": (_input, { deps, caller }) => getTenantSettings(deps, caller.tenantId),
  "settings.update": ({ body }, { deps, caller }) => updateTenantSettings(deps, caller.tenantId, body),
});
