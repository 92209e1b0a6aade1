import type { Deps } from "../deps.js";
import type { DomainError } from "../errors.js";
import { keys, partitionOf } from "../keys.js";
import type { Organization } from "../schemas/organizations.js";
import { type GuardedItem, putIfUnchanged, sortKeyStartsWith } from "../storage/db.js";
import { getItem, queryEvery } from "./table.js";

/** The organization item (`ORG#<id>`) and its name guard (`UNIQ#orgName#<lower-cased>`). */
export interface OrganizationRecord extends Organization {
  PK: string;
  SK: string;
  type: "organization";
  childCount: number;
}

export function toOrganization(record: OrganizationRecord): Organization {
  const { id, name, description, parentId, memberCount, createdAt, updatedAt } = record;
  return { id, name, description, parentId, memberCount, createdAt, updatedAt };
}

export function getOrganizationRecord(
  deps: Deps,
  tenantId: string,
  organizationId: string,
): Promise<OrganizationRecord | undefined> {
  return getItem<OrganizationRecord>(deps, keys.organization(tenantId, organizationId));
}

export function listOrganizationRecords(deps: Deps, tenantId: string): Promise<OrganizationRecord[]> {
  return queryEvery<OrganizationRecord>(deps, sortKeyStartsWith(partitionOf(tenantId), keys.organizationPrefix));
}

/** Transaction items of organization writes; the service decides which belong together. */
export function putNewOrganization(deps: Deps, record: OrganizationRecord): GuardedItem {
  return {
    item: {
      Put: { TableName: deps.config.tableName, Item: record, ConditionExpression: "attribute_not_exists(PK)" },
    },
  };
}

export function replaceOrganizationIfUnchanged(
  deps: Deps,
  next: OrganizationRecord,
  seenUpdatedAt: string,
  onConflict: () => DomainError,
) {
  return putIfUnchanged(deps.config.tableName, next, "updatedAt", seenUpdatedAt, onConflict);
}

/** Only an organization without members or children can go. */
export function deleteOrganizationIfEmpty(
  deps: Deps,
  tenantId: string,
  organizationId: string,
  onNotEmpty: () => DomainError,
): GuardedItem {
  return {
    item: {
      Delete: {
        TableName: deps.config.tableName,
        Key: keys.organization(tenantId, organizationId),
        ConditionExpression:
          "attribute_exists(PK) AND (attribute_not_exists(memberCount) OR memberCount = :zero) AND (attribute_not_exists(childCount) OR childCount = :zero)",
        ExpressionAttributeValues: { ":zero": 0 },
      },
    },
    onConditionFailed: onNotEmpty,
  };
}

export function claimOrganizationName(
  deps: Deps,
  tenantId: string,
  name: string,
  organizationId: string,
  onTaken: () => DomainError,
) {
  return {
    item: {
      Put: {
        TableName: deps.config.tableName,
        Item: { ...keys.organizationName(tenantId, name), type: "guard", organizationId },
        ConditionExpression: "attribute_not_exists(PK)",
      },
    },
    onConditionFailed: onTaken,
  } satisfies GuardedItem;
}

export function releaseOrganizationName(deps: Deps, tenantId: string, name: string): GuardedItem {
  return { item: { Delete: { TableName: deps.config.tableName, Key: keys.organizationName(tenantId, name) } } };
}

/** Counts a member (`memberCount`) or a child (`childCount`) in or out of an organization, which must exist. */
export function changeCount(
  deps: Deps,
  tenantId: string,
  organizationId: string,
  counter: "memberCount" | "childCount",
  delta: 1 | -1,
  onMissing: () => DomainError,
): GuardedItem {
  return {
    item: {
      Update: {
        TableName: deps.config.tableName,
        Key: keys.organization(tenantId, organizationId),
        UpdateExpression: `ADD ${counter} :delta`,
        ConditionExpression: "attribute_exists(PK)",
        ExpressionAttributeValues: { ":delta": delta },
      },
    },
    onConditionFailed: onMissing,
  };
}

/** Every organization's id and parent: the tree, without the rest of each item. */
export function organizationParents(deps: Deps, tenantId: string) {
  return queryEvery<Pick<OrganizationRecord, "id" | "parentId">>(deps, {
    ...sortKeyStartsWith(partitionOf(tenantId), keys.organizationPrefix),
    ProjectionExpression: "id, parentId",
  });
}
