import * as z from "zod";
import type { Deps } from "../deps.js";
import { bumpDirectoryVersion } from "../entities/directory-version.js";
import {
  deleteTenantAndSlug,
  getSlugGuard,
  getTenantRecord,
  markTenantDeleting,
  purgeTenantPartitions,
  requireTenant,
  type TenantRecord,
  tenantPage,
  toTenant,
  updateTenantFields,
} from "../entities/tenant.js";
import { ConflictError } from "../errors.js";
import { keys } from "../keys.js";
import type { createTenantBody, listTenantsQuery, Tenant, updateTenantSettingsBody } from "../schemas/tenants.js";
import { cursorCodec } from "../storage/cursor.js";
import { transactWrite } from "../storage/db.js";
import { buildExtensionRecord, extensionCreateItems } from "./extensions.js";

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
  const guard = await getSlugGuard(deps, slug, false);
  if (!guard) return undefined;
  const record = await getTenantRecord(deps, guard.tenantId, false);
  return record && !record.deleting ? record : undefined;
}

export async function listTenants(deps: Deps, query: z.output<typeof listTenantsQuery>) {
  const cursors = await cursorCodec(deps, ["tenants"], tenantListPosition);
  const page = await tenantPage(deps, query.limit, query.cursor ? cursors.open(query.cursor) : undefined);
  const items = page.items.filter((record) => !record.deleting).map(toTenant);
  return page.lastKey ? { items, nextCursor: cursors.seal(tenantListPosition.parse(page.lastKey)) } : { items };
}

/** Where the tenant list stopped: a key of the GSI1 "TENANTS" partition. */
const tenantListPosition = z.strictObject({
  PK: z.string(),
  SK: z.string(),
  GSI1PK: z.literal("TENANTS"),
  GSI1SK: z.string(),
});

export async function setTenantStatus(deps: Deps, tenantId: string, status: Tenant["status"]): Promise<Tenant> {
  const record = await updateTenantFields(deps, tenantId, { status, updatedAt: deps.now().toISOString() });
  await bumpDirectoryVersion(deps, tenantId); // a suspended tenant's phones stop at once
  return toTenant(record);
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
  const now = deps.now().toISOString();
  await (sipDigestAlgorithms === null
    ? updateTenantFields(deps, tenantId, { organizationManagement, updatedAt: now }, ["sipDigestAlgorithms"])
    : updateTenantFields(deps, tenantId, { organizationManagement, updatedAt: now, sipDigestAlgorithms }));
  await bumpDirectoryVersion(deps, tenantId);
  return { organizationManagement, sipDigestAlgorithms };
}

/** A tenant's feature settings as the settings routes show them. */
export async function getTenantSettings(deps: Deps, tenantId: string) {
  return tenantSettingsOf(await requireTenant(deps, tenantId));
}

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
  const record = await markTenantDeleting(deps, tenantId);
  await bumpDirectoryVersion(deps, tenantId); // the listener stops serving its domain at once
  await purgeTenantPartitions(deps, tenantId);
  await deleteTenantAndSlug(deps, tenantId, record.slug);
}
