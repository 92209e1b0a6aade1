import { createGroupHandler } from "#core/http/handler";
import { permissionsRoutes } from "#core/routes/permissions";
import { companyContactsRules, linkusRules } from "#core/services/linkus-permissions";

export const handler = createGroupHandler(permissionsRoutes, {
  "linkusRules.list": (_input, { deps, caller }) => linkusRules.list(deps, caller.tenantId),
  "linkusRules.create": ({ body }, { deps, caller }) => linkusRules.create(deps, caller.tenantId, body),
  "linkusRules.get": ({ params }, { deps, caller }) => linkusRules.get(deps, caller.tenantId, params.ruleId),
  "linkusRules.replace": ({ params, body }, { deps, caller }) =>
    linkusRules.replace(deps, caller.tenantId, params.ruleId, body),
  "linkusRules.delete": ({ params }, { deps, caller }) => linkusRules.delete(deps, caller.tenantId, params.ruleId),
  "companyContactsRules.list": (_input, { deps, caller }) => companyContactsRules.list(deps, caller.tenantId),
  "companyContactsRules.create": ({ body }, { deps, caller }) =>
    companyContactsRules.create(deps, caller.tenantId, body),
  "companyContactsRules.replace": ({ params, body }, { deps, caller }) =>
    companyContactsRules.replace(deps, caller.tenantId, params.ruleId, body),
  "companyContactsRules.delete": ({ params }, { deps, caller }) =>
    companyContactsRules.delete(deps, caller.tenantId, params.ruleId),
});
