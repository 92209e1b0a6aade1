import type { Deps } from "../deps.js";
import type { DomainError } from "../errors.js";
import { keys, partitionOf } from "../keys.js";
import { type GuardedItem, sortKeyStartsWith } from "../storage/db.js";
import { existingSortKeys, getItem, queryEvery } from "./table.js";

/** Linkus client permission rules and Company Contacts rules (`RULE#<family>#<id>`). */
export type RuleFamily = "linkus" | "companyContacts";

const typeOf = (family: RuleFamily) => (family === "linkus" ? "linkusRule" : "companyContactsRule");

/** Every rule of the tenant, both families (`type` tells them apart). */
export function listRuleItems(deps: Deps, tenantId: string): Promise<Record<string, unknown>[]> {
  return queryEvery<Record<string, unknown>>(deps, sortKeyStartsWith(partitionOf(tenantId), keys.rulePrefix));
}

export function getRuleItem(deps: Deps, tenantId: string, family: RuleFamily, ruleId: string) {
  return getItem<Record<string, unknown> & { createdAt: string }>(deps, keys.rule(tenantId, family, ruleId));
}

/** Writes a rule; `replacing`: only over an existing one (`onMissing` otherwise). */
export function putRule(
  deps: Deps,
  tenantId: string,
  family: RuleFamily,
  rule: Record<string, unknown> & { id: string },
  replacing: boolean,
  onMissing: () => DomainError,
): GuardedItem {
  return {
    item: {
      Put: {
        TableName: deps.config.tableName,
        Item: { ...keys.rule(tenantId, family, rule.id), type: typeOf(family), ...rule },
        ...(replacing ? { ConditionExpression: "attribute_exists(PK)" } : {}),
      },
    },
    onConditionFailed: onMissing,
  };
}

export function deleteRuleItem(
  deps: Deps,
  tenantId: string,
  family: RuleFamily,
  ruleId: string,
  onMissing: () => DomainError,
): GuardedItem {
  return {
    item: {
      Delete: {
        TableName: deps.config.tableName,
        Key: keys.rule(tenantId, family, ruleId),
        ConditionExpression: "attribute_exists(PK)",
      },
    },
    onConditionFailed: onMissing,
  };
}

/** Which of the extensions and organizations a rule names exist in this tenant (by id). */
export async function existingRuleMembers(
  deps: Deps,
  tenantId: string,
  members: { extensions: readonly string[]; organizations: readonly string[] },
): Promise<{ extensions: Set<string>; organizations: Set<string> }> {
  const found = await existingSortKeys(deps, [
    ...members.extensions.map((id) => keys.extension(tenantId, id)),
    ...members.organizations.map((id) => keys.organization(tenantId, id)),
  ]);
  const having = (ids: readonly string[], key: (id: string) => { SK: string }) =>
    new Set(ids.filter((id) => found.has(key(id).SK)));
  return {
    extensions: having(members.extensions, (id) => keys.extension(tenantId, id)),
    organizations: having(members.organizations, (id) => keys.organization(tenantId, id)),
  };
}
