import * as z from "zod";
import { MENUS, OPERATIONS } from "../linkus.js";
import { PERMISSIONS } from "../permissions.js";
import { entityId, requiredText } from "./common.js";

const ids = (what: string) =>
  z
    .array(entityId)
    .max(500, `at most 500 ${what}`)
    .refine((list) => new Set(list).size === list.length, `must not repeat ${what}`);

/** Who a rule applies to: everyone, or named extensions and organizations. */
export const members = z
  .strictObject({
    everyone: z.boolean().default(false),
    extensions: ids("extensions").default([]),
    organizations: ids("organizations").default([]),
  })
  .refine(
    (m) => m.everyone !== m.extensions.length + m.organizations.length > 0,
    "name everyone, or some extensions or organizations, not both and not neither",
  );

const unique = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .array(z.enum(values))
    .min(1, "must name at least one")
    .refine((list) => new Set(list).size === list.length, "must not repeat an entry");

const ruleFields = {
  name: requiredText(64),
  members,
  effect: z.enum(["allow", "disallow"]),
};

export const linkusRuleBody = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("menu"), ...ruleFields, items: unique(MENUS) }),
  z.strictObject({ kind: z.literal("operation"), ...ruleFields, items: unique(OPERATIONS) }),
]);

export const linkusRule = z.object({
  id: entityId,
  kind: z.enum(["menu", "operation"]),
  name: z.string(),
  members: z.object({ everyone: z.boolean(), extensions: z.array(entityId), organizations: z.array(entityId) }),
  effect: z.enum(["allow", "disallow"]),
  items: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type LinkusRule = z.infer<typeof linkusRule>;

export const ruleParams = z.strictObject({ ruleId: entityId });
export const listLinkusRulesResponse = z.object({ items: z.array(linkusRule) });

export const companyContactsRuleBody = z.strictObject({
  name: requiredText(64),
  members,
  access: z.enum(["view", "manage"]),
});

export const companyContactsRule = z.object({
  id: entityId,
  name: z.string(),
  members: z.object({ everyone: z.boolean(), extensions: z.array(entityId), organizations: z.array(entityId) }),
  access: z.enum(["view", "manage"]),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type CompanyContactsRule = z.infer<typeof companyContactsRule>;
export const listCompanyContactsRulesResponse = z.object({ items: z.array(companyContactsRule) });

export const effectivePermissions = z.object({
  role: z.object({ id: z.string(), name: z.string() }),
  permissions: z.array(z.enum(PERMISSIONS)),
  menus: z.record(z.enum(MENUS), z.boolean()),
  operations: z.record(z.enum(OPERATIONS), z.boolean()),
  companyContacts: z.enum(["none", "view", "manage"]),
});
export type EffectivePermissions = z.infer<typeof effectivePermissions>;
