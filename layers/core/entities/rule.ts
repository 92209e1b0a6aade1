import type { Deps } from "../deps.js";
import type { DomainError } from "../errors.js";
import { keys, partitionOf } from "../keys.js";
import { type GuardedItem, sortKeyStartsWith } from "../storage/db.js";
import { getItem, queryEvery } from "./table.js";

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
