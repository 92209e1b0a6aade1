import { BatchWriteCommand, DeleteCommand, GetCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import type { Deps } from "../deps.js";
import { ConflictError, NotFoundError } from "../errors.js";
import { keys, tenantPartitions } from "../keys.js";
import type { createTenantBody, listTenantsQuery, Tenant, updateTenantSettingsBody } from "../schemas/tenants.js";
import { cursorCodec } from "../storage/cursor.js";
import { isConditionalCheckFailed, transactWrite } from "../storage/db.js";
import { bumpDirectoryVersion } from "./directory-version.js";
import { buildExtensionRecord, extensionCreateItems } from "./extensions.js";
import { requireTenant, type TenantRecord, toTenant } from "../entities/tenant.js";

type CreateTenantInput = z.output<typeof createTenantBody>;

/**
 * Provisions a PBX: the tenant, its slug (SIP domain and login server name) and its first
 * extension holding the Super Administrator role, in one transaction.
 */
export async function createTenant(deps: Deps, input: CreateTenantInput) {
  const tenantId = deps.newId();
  const now = deps.now().toISOString();
  const tenant: TenantRecord = {
    ...keys.tenant(tenantId),
    ...keys.tenantIndex(now, tenantId),
    type: "tenant",
    id: tenantId,
    name: input.name,
    slug: input.slug,
    status: "active",
    organizationManagement: false,
    superAdminCount: 1,
    createdAt: now,
    updatedAt: now,
  };
  const admin = await buildExtensionRecord(deps, tenantId, {
    firstName: input.adminFirstName || "Administrator",
    lastName: input.adminLastName,
    email: input.adminEmail,
    mobileNumber: input.adminMobileNumber,
    userPassword: input.adminPassword,
    role: "super_admin",
    organizations: [],
    jobTitle: "",
    number: input.adminExtensionNumber,
    callerId: "",
    concurrentRegistrations: 1,
    sendWelcomeEmail: false,
  });
  await transactWrite(deps.db, [
    {
      item: {
        Put: {
          TableName: deps.config.tableName,
          Item: { ...keys.slug(input.slug), type: "slug", tenantId },
          ConditionExpression: "attribute_not_exists(PK)",
        },
      },
      onConditionFailed: () => new ConflictError("slug", "This slug is already used by another tenant"),
    },
    {
      item: {
        Put: { TableName: deps.config.tableName, Item: tenant, ConditionExpression: "attribute_not_exists(PK)" },
      },
    },
    ...extensionCreateItems(deps, admin.record, false),
  ]);
  return {
    tenant: toTenant(tenant),
    administrator: { extensionId: admin.record.id, number: admin.record.number, email: admin.record.email },
    ...(admin.initialUserPassword ? { initialPassword: admin.initialUserPassword } : {}),
  };
}

export async function getTenant(deps: Deps, tenantId: string): Promise<Tenant> {
  return toTenant(await requireTenant(deps, tenantId));
}

/** Resolves a login server name (slug) to its tenant. */
export async function findTenantBySlug(deps: Deps, slug: string): Promise<TenantRecord | undefined> {
  const guard = await deps.db.send(new GetCommand({ TableName: deps.config.tableName, Key: keys.slug(slug) }));
  const tenantId = guard.Item?.tenantId as string | undefined;
  if (!tenantId) return undefined;
  const tenant = await deps.db.send(new GetCommand({ TableName: deps.config.tableName, Key: keys.tenant(tenantId) }));
  const record = tenant.Item as TenantRecord | undefined;
  return record && !record.deleting ? record : undefined;
}

export async function listTenants(deps: Deps, query: z.output<typeof listTenantsQuery>) {
  const cursors = await cursorCodec(deps, ["tenants"], tenantListPosition);
  const page = await deps.db.send(
    new QueryCommand({
      TableName: deps.config.tableName,
      IndexName: "GSI1",
      KeyConditionExpression: "GSI1PK = :pk",
      ExpressionAttributeValues: { ":pk": "TENANTS" },
      Limit: query.limit,
      ExclusiveStartKey: query.cursor ? cursors.open(query.cursor) : undefined,
    }),
  );
  const items = ((page.Items ?? []) as TenantRecord[]).filter((record) => !record.deleting).map(toTenant);
  return page.LastEvaluatedKey
    ? { items, nextCursor: cursors.seal(tenantListPosition.parse(page.LastEvaluatedKey)) }
    : { items };
}

/** Where the tenant list stopped: a key of the GSI1 "TENANTS" partition. */
const tenantListPosition = z.strictObject({
  PK: z.string(),
  SK: z.string(),
  GSI1PK: z.literal("TENANTS"),
  GSI1SK: z.string(),
});

export async function setTenantStatus(deps: Deps, tenantId: string, status: Tenant["status"]): Promise<Tenant> {
  try {
    const result = await deps.db.send(
      new UpdateCommand({
        TableName: deps.config.tableName,
        Key: keys.tenant(tenantId),
        UpdateExpression: "SET #status = :status, updatedAt = :now",
        ConditionExpression: "attribute_exists(PK) AND attribute_not_exists(deleting)",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":status": status, ":now": deps.now().toISOString() },
        ReturnValues: "ALL_NEW",
      }),
    );
    await bumpDirectoryVersion(deps, tenantId); // a suspended tenant's phones stop at once
    return toTenant(result.Attributes as TenantRecord);
  } catch (error) {
    if (isConditionalCheckFailed(error)) throw new NotFoundError("Tenant");
    throw error;
  }
}

export async function updateTenantSettings(
  deps: Deps,
  tenantId: string,
  patch: z.output<typeof updateTenantSettingsBody>,
) {
  const current = await requireTenant(deps, tenantId);
  const organizationManagement = patch.organizationManagement ?? current.organizationManagement;
  const sipDigestAlgorithms =
    patch.sipDigestAlgorithms === undefined ? (current.sipDigestAlgorithms ?? null) : patch.sipDigestAlgorithms;
  await deps.db.send(
    new UpdateCommand({
      TableName: deps.config.tableName,
      Key: keys.tenant(tenantId),
      UpdateExpression:
        sipDigestAlgorithms === null
          ? "SET organizationManagement = :on, updatedAt = :now REMOVE sipDigestAlgorithms"
          : "SET organizationManagement = :on, updatedAt = :now, sipDigestAlgorithms = :algorithms",
      ConditionExpression: "attribute_exists(PK)",
      ExpressionAttributeValues: {
        ":on": organizationManagement,
        ":now": deps.now().toISOString(),
        ...(sipDigestAlgorithms === null ? {} : { ":algorithms": sipDigestAlgorithms }),
      },
    }),
  );
  await bumpDirectoryVersion(deps, tenantId);
  return { organizationManagement, sipDigestAlgorithms };
}

/** A tenant's feature settings as the settings routes show them. */
export function tenantSettingsOf(tenant: TenantRecord) {
  return {
    organizationManagement: tenant.organizationManagement,
    sipDigestAlgorithms: tenant.sipDigestAlgorithms ?? null,
  };
}

/**
 * Marks the tenant as deleting (its users are refused from then on), removes every item in
 * its partition, and removes the tenant record and slug last, so an interrupted delete can
 * simply be run again.
 */
export async function deleteTenant(deps: Deps, tenantId: string): Promise<void> {
  const tenant = await deps.db
    .send(
      new UpdateCommand({
        TableName: deps.config.tableName,
        Key: keys.tenant(tenantId),
        UpdateExpression: "SET deleting = :true",
        ConditionExpression: "attribute_exists(PK)",
        ExpressionAttributeValues: { ":true": true },
        ReturnValues: "ALL_NEW",
      }),
    )
    .catch((error: unknown) => {
      if (isConditionalCheckFailed(error)) throw new NotFoundError("Tenant");
      throw error;
    });
  await bumpDirectoryVersion(deps, tenantId); // the listener stops serving its domain at once
  const record = tenant.Attributes as TenantRecord;
  for (const partition of tenantPartitions(tenantId)) await purgePartition(deps, partition);
  await deps.db
    .send(
      new DeleteCommand({
        TableName: deps.config.tableName,
        Key: keys.slug(record.slug),
        ConditionExpression: "tenantId = :id",
        ExpressionAttributeValues: { ":id": tenantId },
      }),
    )
    .catch((error: unknown) => {
      if (!isConditionalCheckFailed(error)) throw error;
    });
  await deps.db.send(new DeleteCommand({ TableName: deps.config.tableName, Key: keys.tenant(tenantId) }));
}

async function purgePartition(deps: Deps, partition: string): Promise<void> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.db.send(
      new QueryCommand({
        TableName: deps.config.tableName,
        KeyConditionExpression: "PK = :pk",
        ExpressionAttributeValues: { ":pk": partition },
        ProjectionExpression: "PK, SK",
        ExclusiveStartKey: startKey,
      }),
    );
    const itemKeys = (page.Items ?? []).filter((item) => item.SK !== "TENANT");
    for (let i = 0; i < itemKeys.length; i += 25) {
      await batchDelete(deps, itemKeys.slice(i, i + 25));
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

async function batchDelete(deps: Deps, itemKeys: Record<string, unknown>[]): Promise<void> {
  let requests = itemKeys.map((key) => ({ DeleteRequest: { Key: { PK: key.PK, SK: key.SK } } }));
  for (let attempt = 0; requests.length > 0; attempt++) {
    if (attempt > 8) throw new Error("DynamoDB kept returning unprocessed deletes");
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    const result = await deps.db.send(new BatchWriteCommand({ RequestItems: { [deps.config.tableName]: requests } }));
    requests = (result.UnprocessedItems?.[deps.config.tableName] ?? []) as typeof requests;
  }
}
