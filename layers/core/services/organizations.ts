import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { z } from "zod";
import type { Deps } from "../deps.js";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import { keys } from "../keys.js";
import type { createOrganizationBody, Organization, updateOrganizationBody } from "../schemas/organizations.js";
import { type GuardedItem, putIfUnchanged, queryAll, sortKeyStartsWith, transactWrite } from "../storage/db.js";
import type { TenantCaller } from "./caller.js";
import { type OrganizationRecord, toOrganization } from "./records.js";

/**
 * Organizations form a tree (a parent and children). Member and child counters live on
 * each organization and change in the same transactions as the memberships, so a
 * non-empty organization can never be deleted, however requests interleave.
 */
const NAME_TAKEN = "An organization with this name already exists";

function nameGuardPut(deps: Deps, tenantId: string, name: string, organizationId: string): GuardedItem {
  return {
    item: {
      Put: {
        TableName: deps.config.tableName,
        Item: { ...keys.organizationName(tenantId, name), type: "guard", organizationId },
        ConditionExpression: "attribute_not_exists(PK)",
      },
    },
    onConditionFailed: () => new ConflictError("name", NAME_TAKEN),
  };
}

function nameGuardDelete(deps: Deps, tenantId: string, name: string): GuardedItem {
  return { item: { Delete: { TableName: deps.config.tableName, Key: keys.organizationName(tenantId, name) } } };
}

function childCountChange(deps: Deps, tenantId: string, parentId: string, delta: 1 | -1): GuardedItem {
  return {
    item: {
      Update: {
        TableName: deps.config.tableName,
        Key: keys.organization(tenantId, parentId),
        UpdateExpression: "ADD childCount :delta",
        ConditionExpression: "attribute_exists(PK)",
        ExpressionAttributeValues: { ":delta": delta },
      },
    },
    onConditionFailed: () => ValidationError.one("parentId", "is not an organization of this PBX"),
  };
}

export async function createOrganization(
  deps: Deps,
  caller: TenantCaller,
  input: z.output<typeof createOrganizationBody>,
): Promise<Organization> {
  const id = deps.newId();
  const now = deps.now().toISOString();
  const record: OrganizationRecord = {
    ...keys.organization(caller.tenantId, id),
    type: "organization",
    id,
    name: input.name,
    description: input.description,
    parentId: input.parentId,
    memberCount: 0,
    childCount: 0,
    createdAt: now,
    updatedAt: now,
  };
  const items: GuardedItem[] = [
    {
      item: {
        Put: { TableName: deps.config.tableName, Item: record, ConditionExpression: "attribute_not_exists(PK)" },
      },
    },
    nameGuardPut(deps, caller.tenantId, input.name, id),
  ];
  if (input.parentId) items.push(childCountChange(deps, caller.tenantId, input.parentId, 1));
  await transactWrite(deps.db, items);
  return toOrganization(record);
}

async function requireOrganization(deps: Deps, tenantId: string, organizationId: string) {
  const result = await deps.db.send(
    new GetCommand({
      TableName: deps.config.tableName,
      Key: keys.organization(tenantId, organizationId),
      ConsistentRead: true,
    }),
  );
  if (!result.Item) throw new NotFoundError("Organization");
  return result.Item as OrganizationRecord;
}

export async function getOrganization(deps: Deps, caller: TenantCaller, organizationId: string) {
  return toOrganization(await requireOrganization(deps, caller.tenantId, organizationId));
}

export async function listOrganizations(deps: Deps, caller: TenantCaller) {
  const records = await queryOrganizations(deps, caller.tenantId);
  const collator = new Intl.Collator("en", { sensitivity: "base", numeric: true });
  return { items: records.sort((a, b) => collator.compare(a.name, b.name)).map(toOrganization) };
}

function queryOrganizations(deps: Deps, tenantId: string): Promise<OrganizationRecord[]> {
  return queryAll<OrganizationRecord>(deps.db, {
    TableName: deps.config.tableName,
    ...sortKeyStartsWith(keys.tenant(tenantId).PK, keys.organizationPrefix),
  });
}

export async function updateOrganization(
  deps: Deps,
  caller: TenantCaller,
  organizationId: string,
  patch: z.output<typeof updateOrganizationBody>,
): Promise<Organization> {
  const current = await requireOrganization(deps, caller.tenantId, organizationId);
  const next: OrganizationRecord = { ...current, ...patch, updatedAt: deps.now().toISOString() };
  const items: GuardedItem[] = [
    putIfUnchanged(
      deps.config.tableName,
      next,
      "updatedAt",
      current.updatedAt,
      () => new ConflictError("organization", "The organization was changed by someone else; retry"),
    ),
  ];
  if (next.name.toLowerCase() !== current.name.toLowerCase()) {
    items.push(nameGuardDelete(deps, caller.tenantId, current.name));
    items.push(nameGuardPut(deps, caller.tenantId, next.name, organizationId));
  }
  if (next.parentId !== current.parentId) {
    if (next.parentId) await assertNoCycle(deps, caller.tenantId, organizationId, next.parentId);
    if (current.parentId) items.push(childCountChange(deps, caller.tenantId, current.parentId, -1));
    if (next.parentId) items.push(childCountChange(deps, caller.tenantId, next.parentId, 1));
  }
  await transactWrite(deps.db, items);
  return toOrganization(next);
}

/** An organization cannot be moved under itself or one of its own descendants. */
async function assertNoCycle(deps: Deps, tenantId: string, organizationId: string, newParentId: string) {
  const byId = new Map((await queryOrganizations(deps, tenantId)).map((org) => [org.id, org]));
  if (!byId.has(newParentId)) throw ValidationError.one("parentId", "is not an organization of this PBX");
  for (let cursor: string | null = newParentId; cursor; cursor = byId.get(cursor)?.parentId ?? null) {
    if (cursor === organizationId) {
      throw ValidationError.one("parentId", "cannot be the organization itself or one of its descendants");
    }
  }
}

export async function deleteOrganization(deps: Deps, caller: TenantCaller, organizationId: string): Promise<void> {
  const current = await requireOrganization(deps, caller.tenantId, organizationId);
  const items: GuardedItem[] = [
    {
      item: {
        Delete: {
          TableName: deps.config.tableName,
          Key: keys.organization(caller.tenantId, organizationId),
          ConditionExpression:
            "attribute_exists(PK) AND (attribute_not_exists(memberCount) OR memberCount = :zero) AND (attribute_not_exists(childCount) OR childCount = :zero)",
          ExpressionAttributeValues: { ":zero": 0 },
        },
      },
      onConditionFailed: () =>
        new ConflictError("organization", "Move this organization's members and child organizations out first"),
    },
    nameGuardDelete(deps, caller.tenantId, current.name),
  ];
  if (current.parentId) items.push(childCountChange(deps, caller.tenantId, current.parentId, -1));
  await transactWrite(deps.db, items);
}
