import type { Deps } from "../deps.js";
import { NotFoundError } from "../errors.js";
import { keys } from "../keys.js";
import type { SipDigestAlgorithm, Tenant } from "../schemas/tenants.js";
import { getItem } from "./table.js";

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
