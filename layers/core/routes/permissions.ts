/**
 * Linkus client permission rules and Company Contacts rules. The routes the permissions function
 * serves; ../routes.ts joins every group's routes into the one route table.
 */
import { defineRoute, defineRoutes, tenantRoute } from "../http/contract.js";
import {
  companyContactsRule,
  companyContactsRuleBody,
  linkusRule,
  linkusRuleBody,
  listCompanyContactsRulesResponse,
  listLinkusRulesResponse,
  ruleParams,
} from "../schemas/linkus-rules.js";

export const permissionsRoutes = defineRoutes("permissions", {
  "linkusRules.list": defineRoute({
    method: "GET",
    path: "/api/v1/linkus-permission-rules",
    auth: tenantRoute("linkus_permissions.manage"),
    summary: "Menu Visibility and Operation Permission rules",
    response: listLinkusRulesResponse,
    successStatus: 200,
  }),
  "linkusRules.create": defineRoute({
    method: "POST",
    path: "/api/v1/linkus-permission-rules",
    auth: tenantRoute("linkus_permissions.manage"),
    summary: "Add a Menu Visibility or Operation Permission rule",
    body: linkusRuleBody,
    response: linkusRule,
    successStatus: 201,
  }),
  "linkusRules.get": defineRoute({
    method: "GET",
    path: "/api/v1/linkus-permission-rules/{ruleId}",
    auth: tenantRoute("linkus_permissions.manage"),
    summary: "Get a Linkus permission rule",
    params: ruleParams,
    response: linkusRule,
    successStatus: 200,
  }),
  "linkusRules.replace": defineRoute({
    method: "PUT",
    path: "/api/v1/linkus-permission-rules/{ruleId}",
    auth: tenantRoute("linkus_permissions.manage"),
    summary: "Replace a Linkus permission rule",
    params: ruleParams,
    body: linkusRuleBody,
    response: linkusRule,
    successStatus: 200,
  }),
  "linkusRules.delete": defineRoute({
    method: "DELETE",
    path: "/api/v1/linkus-permission-rules/{ruleId}",
    auth: tenantRoute("linkus_permissions.manage"),
    summary: "Delete a Linkus permission rule",
    params: ruleParams,
    successStatus: 204,
  }),
  "companyContactsRules.list": defineRoute({
    method: "GET",
    path: "/api/v1/company-contacts-rules",
    auth: tenantRoute("company_contacts.manage"),
    summary: "Who may view or manage Company Contacts",
    response: listCompanyContactsRulesResponse,
    successStatus: 200,
  }),
  "companyContactsRules.create": defineRoute({
    method: "POST",
    path: "/api/v1/company-contacts-rules",
    auth: tenantRoute("company_contacts.manage"),
    summary: "Grant view or manage of Company Contacts to extensions, organizations or everyone",
    body: companyContactsRuleBody,
    response: companyContactsRule,
    successStatus: 201,
  }),
  "companyContactsRules.replace": defineRoute({
    method: "PUT",
    path: "/api/v1/company-contacts-rules/{ruleId}",
    auth: tenantRoute("company_contacts.manage"),
    summary: "Replace a Company Contacts rule",
    params: ruleParams,
    body: companyContactsRuleBody,
    response: companyContactsRule,
    successStatus: 200,
  }),
  "companyContactsRules.delete": defineRoute({
    method: "DELETE",
    path: "/api/v1/company-contacts-rules/{ruleId}",
    auth: tenantRoute("company_contacts.manage"),
    summary: "Delete a Company Contacts rule",
    params: ruleParams,
    successStatus: 204,
  }),
});
