import { createGroupHandler } from "#core/http/handler";
import { platformRoutes } from "#core/routes/platform";
import { createTenant, deleteTenant, getTenant, listTenants, setTenantStatus } from "#core/services/tenants";

export const handler = createGroupHandler(platformRoutes, {
  "platform.tenants.create": ({ body }, { deps }) => createTenant(deps, body),
  "platform.tenants.list": ({ query }, { deps }) => listTenants(deps, query),
  "platform.tenants.get": ({ params }, { deps }) => getTenant(deps, params.tenantId),
  "platform.tenants.suspend": ({ params }, { deps }) => setTenantStatus(deps, params.tenantId, "suspended"),
  "platform.tenants.resume": ({ params }, { deps }) => setTenantStatus(deps, params.tenantId, "active"),
  "platform.tenants.delete": ({ params }, { deps }) => deleteTenant(deps, params.tenantId),
});
