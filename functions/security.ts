import { createGroupHandler } from "#core/http/handler";
import { securityRoutes } from "#core/routes/security";
import {
  listBlockedIps,
  loginSecuritySettings,
  unblockIp,
  updateLoginSecuritySettings,
} from "#core/services/login-security";

export const handler = createGroupHandler(securityRoutes, {
  "security.loginSettings.get": (_input, { deps, caller }) => loginSecuritySettings(deps, caller.tenantId),
  "security.loginSettings.update": ({ body }, { deps, caller }) =>
    updateLoginSecuritySettings(deps, caller.tenantId, body),
  "security.blockedIps.list": (_input, { deps, caller }) => listBlockedIps(deps, caller.tenantId),
  "security.blockedIps.unblock": ({ params }, { deps, caller }) => unblockIp(deps, caller.tenantId, params.ip),
});
