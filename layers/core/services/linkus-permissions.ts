import type * as z from "zod";
import type { Deps } from "../deps.js";
import { type ExtensionRecord, getExtensionRecord } from "../entities/extension.js";
import { organizationParents } from "../entities/organization.js";
import {
  deleteRuleItem,
  existingRuleMembers,
  getRuleItem,
  listRuleItems,
  putRule,
  type RuleFamily,
} from "../entities/rule.js";
import { type FieldError, ForbiddenError, NotFoundError, ValidationError } from "../errors.js";
import { type CompanyContactsAccess, MENUS, type Menu, OPERATIONS, type Operation } from "../linkus.js";
import type {
  CompanyContactsRule,
  companyContactsRuleBody,
  EffectivePermissions,
  LinkusRule,
  linkusRuleBody,
  members,
} from "../schemas/linkus-rules.js";
import type { TenantCaller } from "./caller.js";
import { appendChanges } from "./change-feed.js";
import { resolveRole } from "./roles.js";

/**
 * Linkus client permissions (seed 000) and Company Contacts access (seed 001), one model:
 * rules name their members (everyone, organizations, extensions) and what they cover.
 *
 * Precedence, per menu or operation: the most specific matching rule decides (an extension
 * named in the rule, over one of its organizations or their parents, over everyone); at equal
 * specificity, disallow beats allow. No matching rule: allowed (Yeastar's default).
 * Company Contacts rules only grant (view or manage): the strongest grant that matches wins,
 * and roles with the company_contacts permissions always have that access.
 */
type Members = z.output<typeof members>;

const SPECIFICITY = { none: 0, everyone: 1, organization: 2, extension: 3 } as const;

function specificity(ruleMembers: Members, extensionId: string, organizations: ReadonlySet<string>): number {
  if (ruleMembers.extensions.includes(extensionId)) return SPECIFICITY.extension;
  if (ruleMembers.organizations.some((id) => organizations.has(id))) return SPECIFICITY.organization;
  if (ruleMembers.everyone) return SPECIFICITY.everyone;
  return SPECIFICITY.none;
}

/** Decides every item of a catalogue for one extension; exported for the precedence unit tests. */
export function decide<T extends string>(
  items: readonly T[],
  rules: readonly Pick<LinkusRule, "members" | "effect" | "items">[],
  extensionId: string,
  organizations: ReadonlySet<string>,
): Record<T, boolean> {
  const decision = {} as Record<T, boolean>;
  for (const item of items) {
    let best = SPECIFICITY.none as number;
    let allowed = true;
    for (const rule of rules) {
      if (!rule.items.includes(item)) continue;
      const level = specificity(rule.members, extensionId, organizations);
      if (level === SPECIFICITY.none) continue;
      if (level > best) {
        best = level;
        allowed = rule.effect === "allow";
      } else if (level === best && rule.effect === "disallow") {
        allowed = false;
      }
    }
    decision[item] = allowed;
  }
  return decision;
}

interface RuleSet {
  linkus: LinkusRule[];
  companyContacts: CompanyContactsRule[];
}

async function loadRules(deps: Deps, tenantId: string): Promise<RuleSet> {
  const items = await listRuleItems(deps, tenantId);
  return {
    linkus: items.filter((item) => item.type === "linkusRule").map((item) => toLinkusRule(item)),
    companyContacts: items
      .filter((item) => item.type === "companyContactsRule")
      .map((item) => toCompanyContactsRule(item)),
  };
}

/** The extension's organizations and all their ancestors: a rule on a parent covers its children. */
async function organizationsWithAncestors(deps: Deps, tenantId: string, direct: readonly string[]) {
  const result = new Set(direct);
  if (direct.length === 0) return result;
  const organizations = await organizationParents(deps, tenantId);
  const parentOf = new Map(organizations.map((org) => [org.id, org.parentId]));
  for (const id of direct) {
    for (let parent = parentOf.get(id); parent && !result.has(parent); parent = parentOf.get(parent))
      result.add(parent);
  }
  return result;
}

const ACCESS_RANK: Record<CompanyContactsAccess, number> = { none: 0, view: 1, manage: 2 };

export async function effectivePermissions(
  deps: Deps,
  tenantId: string,
  extension: ExtensionRecord,
): Promise<EffectivePermissions> {
  const [role, rules] = await Promise.all([resolveRole(deps, tenantId, extension.role), loadRules(deps, tenantId)]);
  const namesOrganizations = [...rules.linkus, ...rules.companyContacts].some(
    (r) => r.members.organizations.length > 0,
  );
  const organizations = namesOrganizations
    ? await organizationsWithAncestors(deps, tenantId, extension.organizations)
    : new Set(extension.organizations);
  const permissions = [...(role?.permissions ?? [])];

  let companyContacts: CompanyContactsAccess = permissions.includes("company_contacts.manage")
    ? "manage"
    : permissions.includes("company_contacts.view")
      ? "view"
      : "none";
  for (const rule of rules.companyContacts) {
    if (specificity(rule.members, extension.id, organizations) === SPECIFICITY.none) continue;
    if (ACCESS_RANK[rule.access] > ACCESS_RANK[companyContacts]) companyContacts = rule.access;
  }
  return {
    role: { id: extension.role, name: role?.name ?? "Unknown role" },
    permissions,
    menus: decide(
      MENUS,
      rules.linkus.filter((r) => r.kind === "menu"),
      extension.id,
      organizations,
    ),
    operations: decide(
      OPERATIONS,
      rules.linkus.filter((r) => r.kind === "operation"),
      extension.id,
      organizations,
    ),
    companyContacts,
  };
}

export async function callerPermissions(deps: Deps, caller: TenantCaller): Promise<EffectivePermissions> {
  const extension = await getExtensionRecord(deps, caller.tenantId, caller.extensionId);
  if (!extension) throw new NotFoundError("Extension");
  return effectivePermissions(deps, caller.tenantId, extension);
}

export interface LinkusRequirement {
  menu?: Menu;
  operation?: Operation;
  companyContacts?: "view" | "manage";
}

/** The server-side half of Linkus permissions: a hidden menu or disallowed operation refuses its API. */
export async function assertLinkusAllowed(deps: Deps, caller: TenantCaller, need: LinkusRequirement): Promise<void> {
  const effective = await callerPermissions(deps, caller);
  if (need.menu && !effective.menus[need.menu]) {
    throw new ForbiddenError(`The ${need.menu} menu is hidden for you`, { permission: `menu.${need.menu}` });
  }
  if (need.operation && !effective.operations[need.operation]) {
    throw new ForbiddenError(`You are not allowed to use ${need.operation}`, {
      permission: `operation.${need.operation}`,
    });
  }
  if (need.companyContacts && ACCESS_RANK[effective.companyContacts] < ACCESS_RANK[need.companyContacts]) {
    throw new ForbiddenError(`You cannot ${need.companyContacts} company contacts`, {
      permission: `company_contacts.${need.companyContacts}`,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Rule administration. Every change goes to the "permissions" change feed, which the 8111
// listener pushes to connected clients.

function toLinkusRule(item: Record<string, unknown>): LinkusRule {
  const { id, kind, name, members, effect, items, createdAt, updatedAt } = item as LinkusRule;
  return { id, kind, name, members, effect, items, createdAt, updatedAt };
}

function toCompanyContactsRule(item: Record<string, unknown>): CompanyContactsRule {
  const { id, name, members, access, createdAt, updatedAt } = item as CompanyContactsRule;
  return { id, name, members, access, createdAt, updatedAt };
}

/** Named members must be this PBX's extensions and organizations. */
async function assertMembersExist(deps: Deps, tenantId: string, ruleMembers: Members): Promise<void> {
  const found = await existingRuleMembers(deps, tenantId, ruleMembers);
  const missing: FieldError[] = (["extensions", "organizations"] as const).flatMap((kind) =>
    ruleMembers[kind].flatMap((id, index) =>
      found[kind].has(id)
        ? []
        : [{ in: "body", field: `members.${kind}.${index}`, message: "is not a member of this PBX" }],
    ),
  );
  if (missing.length > 0) throw new ValidationError(missing);
}

type Family = RuleFamily;

async function listFamily(deps: Deps, tenantId: string, family: Family) {
  const rules = await loadRules(deps, tenantId);
  const items = family === "linkus" ? rules.linkus : rules.companyContacts;
  return { items: items.sort((a, b) => a.createdAt.localeCompare(b.createdAt)) };
}

async function saveRule(
  deps: Deps,
  tenantId: string,
  family: Family,
  ruleId: string | undefined,
  body: Record<string, unknown> & { members: Members },
) {
  await assertMembersExist(deps, tenantId, body.members);
  const now = deps.now().toISOString();
  let createdAt = now;
  if (ruleId) {
    const existing = await getRuleItem(deps, tenantId, family, ruleId);
    if (!existing) throw new NotFoundError("Rule");
    createdAt = existing.createdAt;
  }
  const id = ruleId ?? deps.newId();
  const rule = { ...body, id, createdAt, updatedAt: now };
  await appendChanges(
    deps,
    tenantId,
    "permissions",
    [
      {
        action: ruleId ? "updated" : "created",
        entity: family === "linkus" ? "linkusRule" : "companyContactsRule",
        id,
      },
    ],
    [putRule(deps, tenantId, family, rule, ruleId !== undefined, () => new NotFoundError("Rule"))],
  );
  return rule;
}

async function deleteRule(deps: Deps, tenantId: string, family: Family, ruleId: string) {
  const entity = family === "linkus" ? "linkusRule" : "companyContactsRule";
  await appendChanges(
    deps,
    tenantId,
    "permissions",
    [{ action: "deleted", entity, id: ruleId }],
    [deleteRuleItem(deps, tenantId, family, ruleId, () => new NotFoundError("Rule"))],
  );
}

export const linkusRules = {
  list: (deps: Deps, tenantId: string) => listFamily(deps, tenantId, "linkus") as Promise<{ items: LinkusRule[] }>,
  get: async (deps: Deps, tenantId: string, ruleId: string) => {
    const rule = (await listFamily(deps, tenantId, "linkus")).items.find((r) => r.id === ruleId);
    if (!rule) throw new NotFoundError("Rule");
    return rule as LinkusRule;
  },
  create: (deps: Deps, tenantId: string, body: z.output<typeof linkusRuleBody>) =>
    saveRule(deps, tenantId, "linkus", undefined, body) as Promise<LinkusRule>,
  replace: (deps: Deps, tenantId: string, ruleId: string, body: z.output<typeof linkusRuleBody>) =>
    saveRule(deps, tenantId, "linkus", ruleId, body) as Promise<LinkusRule>,
  delete: (deps: Deps, tenantId: string, ruleId: string) => deleteRule(deps, tenantId, "linkus", ruleId),
};

export const companyContactsRules = {
  list: (deps: Deps, tenantId: string) =>
    listFamily(deps, tenantId, "companyContacts") as Promise<{ items: CompanyContactsRule[] }>,
  create: (deps: Deps, tenantId: string, body: z.output<typeof companyContactsRuleBody>) =>
    saveRule(deps, tenantId, "companyContacts", undefined, body) as Promise<CompanyContactsRule>,
  replace: (deps: Deps, tenantId: string, ruleId: string, body: z.output<typeof companyContactsRuleBody>) =>
    saveRule(deps, tenantId, "companyContacts", ruleId, body) as Promise<CompanyContactsRule>,
  delete: (deps: Deps, tenantId: string, ruleId: string) => deleteRule(deps, tenantId, "companyContacts", ruleId),
};
