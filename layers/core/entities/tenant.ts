import type { Deps } from "../deps.js";
import { type DomainError, NotFoundError } from "../errors.js";
import { keys, tenantPartitions } from "../keys.js";
import type { SipDigestAlgorithm, Tenant } from "../schemas/tenants.js";
import type { GuardedItem } from "../storage/db.js";
import { deleteItem, getItem, type Key, queryPage, sendGuarded, writeBatches } from "./table.js";

/**
 * The tenant item (`T#<id>` / `TENANT`) and its slug guard (`SLUG#<slug>`). What is stored, as
 * opposed to what the API shows: the item carries keys and counters that `toTenant` leaves out.
 */
export interface TenantRecord extends Tenant {
  PK: string;
  SK: string;
  type: "tenant";
  /** Holders of the Super Administrator role; kept >= 1 by conditional writes. */
  superAdminCount: number;
  /** Set while a delete purges the tenant's items, so a retried delete can resume. */
  deleting?: boolean;
  /** The SIP digest challenges to offer, in order; absent: the platform default. */
  sipDigestAlgorithms?: SipDigestAlgorithm[];
}

export interface SlugGuard {
  PK: string;
  SK: string;
  type: "slug";
  tenantId: string;
}

export function toTenant(record: TenantRecord): Tenant {
  const { id, name, slug, status, organizationManagement, createdAt, updatedAt } = record;
  return { id, name, slug, status, organizationManagement, createdAt, updatedAt };
}

export function getTenantRecord(deps: Deps, tenantId: string, consistent = true): Promise<TenantRecord | undefined> {
  return getItem<TenantRecord>(deps, keys.tenant(tenantId), consistent);
}

/** The tenant, or 404 when it does not exist or is being deleted. */
export async function requireTenant(deps: Deps, tenantId: string): Promise<TenantRecord> {
  const record = await getTenantRecord(deps, tenantId);
  if (!record || record.deleting) throw new NotFoundError("Tenant");
  return record;
}

export function getSlugGuard(deps: Deps, slug: string, consistent = true): Promise<SlugGuard | undefined> {
  return getItem<SlugGuard>(deps, keys.slug(slug), consistent);
}

/** The Super Administrator count moves in the transaction that changes a role; never below one. */
export function changeSuperAdminCount(
  deps: Deps,
  tenantId: string,
  delta: 1 | -1,
  onLastOne: () => DomainError,
): GuardedItem {
  return {
    item: {
      Update: {
        TableName: deps.config.tableName,
        Key: keys.tenant(tenantId),
        UpdateExpression: "ADD superAdminCount :delta",
        ConditionExpression: delta < 0 ? "superAdminCount > :one" : "attribute_exists(PK)",
        ExpressionAttributeValues: delta < 0 ? { ":delta": delta, ":one": 1 } : { ":delta": delta },
      },
    },
    onConditionFailed: onLastOne,
  };
}

/** One page of the platform's tenant list (GSI1 `TENANTS`, oldest first). */
export function tenantPage(deps: Deps, limit: number, startKey?: Record<string, unknown>) {
  return queryPage<TenantRecord>(deps, {
    IndexName: "GSI1",
    KeyConditionExpression: "GSI1PK = :pk",
    ExpressionAttributeValues: { ":pk": "TENANTS" },
    Limit: limit,
    ExclusiveStartKey: startKey,
  });
}

/** Sets fields of an existing tenant that is not being deleted; returns the tenant after. */
export async function updateTenantFields(
  deps: Deps,
  tenantId: string,
  set: Record<string, unknown>,
  remove: readonly string[] = [],
): Promise<TenantRecord> {
  const names = Object.fromEntries([...Object.keys(set), ...remove].map((field) => [`#${field}`, field]));
  const values = Object.fromEntries(Object.entries(set).map(([field, value]) => [`:${field}`, value]));
  const expression = [
    `SET ${Object.keys(set)
      .map((field) => `#${field} = :${field}`)
      .join(", ")}`,
    remove.length ? `REMOVE ${remove.map((field) => `#${field}`).join(", ")}` : "",
  ].join(" ");
  const { attributes } = await sendGuarded<TenantRecord>(
    deps,
    {
      Update: {
        Key: keys.tenant(tenantId),
        UpdateExpression: expression.trim(),
        ConditionExpression: "attribute_exists(PK) AND attribute_not_exists(deleting)",
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: "ALL_NEW",
      },
    },
    () => new NotFoundError("Tenant"),
  );
  return attributes as TenantRecord; // ReturnValues ALL_NEW: always present
}

/** Marks a tenant as being deleted (a retried delete finds it marked); returns it. */
export async function markTenantDeleting(deps: Deps, tenantId: string): Promise<TenantRecord> {
  const { attributes } = await sendGuarded<TenantRecord>(
    deps,
    {
      Update: {
        Key: keys.tenant(tenantId),
        UpdateExpression: "SET deleting = :true",
        ConditionExpression: "attribute_exists(PK)",
        ExpressionAttributeValues: { ":true": true },
        ReturnValues: "ALL_NEW",
      },
    },
    () => new NotFoundError("Tenant"),
  );
  return attributes as TenantRecord; // ReturnValues ALL_NEW: always present
}

/**
 * Deletes every item of every partition the tenant owns (tenantPartitions), except the tenant
 * item itself, which goes last with its slug (`deleteTenantAndSlug`).
 */
export async function purgeTenantPartitions(deps: Deps, tenantId: string): Promise<void> {
  for (const partition of tenantPartitions(tenantId)) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await queryPage<Key>(deps, {
        KeyConditionExpression: "PK = :pk",
        ExpressionAttributeValues: { ":pk": partition },
        ProjectionExpression: "PK, SK",
        ExclusiveStartKey: startKey,
      });
      const doomed = page.items.filter((item) => item.SK !== "TENANT");
      await writeBatches(
        deps,
        doomed.map(({ PK, SK }) => ({ delete: { PK, SK } })),
      );
      startKey = page.lastKey;
    } while (startKey);
  }
}

/** Removes the slug (if it still names this tenant) and then the tenant item. */
export async function deleteTenantAndSlug(deps: Deps, tenantId: string, slug: string): Promise<void> {
  await sendGuarded(deps, {
    Delete: {
      Key: keys.slug(slug),
      ConditionExpression: "tenantId = :id",
      ExpressionAttributeValues: { ":id": tenantId },
    },
  });
  await deleteItem(deps, keys.tenant(tenantId));
}
