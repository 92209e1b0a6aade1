import type * as z from "zod";
import type { Deps } from "../deps.js";
import {
  changeCount,
  claimOrganizationName,
  deleteOrganizationIfEmpty,
  getOrganizationRecord,
  listOrganizationRecords,
  type OrganizationRecord,
  putNewOrganization,
  releaseOrganizationName,
  replaceOrganizationIfUnchanged,
  toOrganization,
} from "../entities/organization.js";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import { keys } from "../keys.js";
import type { createOrganizationBody, Organization, updateOrganizationBody } from "../schemas/organizations.js";
import { type GuardedItem, transactWrite } from "../storage/db.js";

/**
 * Organizations form a tree (a parent and children). Member and child counters live on
 * each organization and change in the same transactions as the memberships, so a
 * non-empty organization can never be deleted, however requests interleave.
 */
const NAME_TAKEN = "An organization with this name already exists";

const nameTaken = () => new ConflictError("name", NAME_TAKEN);
const notAParent = () => ValidationError.one("parentId", "is not an organization of this PBX");

export async function createOrganization(
  deps: Deps,
  tenantId: string,
  input: z.output<typeof createOrganizationBody>,
): Promise<Organization> {
  const id = deps.newId();
  const now = deps.now().toISOString();
  const record: OrganizationRecord = {
    ...keys.organization(tenantId, id),
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
    putNewOrganization(deps, record),
    claimOrganizationName(deps, tenantId, input.name, id, nameTaken),
  ];
  if (input.parentId) {
    items.push(changeCount(deps, tenantId, input.parentId, "childCount", 1, notAParent));
  }
  await transactWrite(deps.db, items);
  return toOrganization(record);
}

async function requireOrganization(deps: Deps, tenantId: string, organizationId: string) {
  const record = await getOrganizationRecord(deps, tenantId, organizationId);
  if (!record) throw new NotFoundError("Organization");
  return record;
}

export async function getOrganization(deps: Deps, tenantId: string, organizationId: string) {
  return toOrganization(await requireOrganization(deps, tenantId, organizationId));
}

export async function listOrganizations(deps: Deps, tenantId: string) {
  const records = await listOrganizationRecords(deps, tenantId);
  const collator = new Intl.Collator("en", { sensitivity: "base", numeric: true });
  return { items: records.sort((a, b) => collator.compare(a.name, b.name)).map(toOrganization) };
}

export async function updateOrganization(
  deps: Deps,
  tenantId: string,
  organizationId: string,
  patch: z.output<typeof updateOrganizationBody>,
): Promise<Organization> {
  const current = await requireOrganization(deps, tenantId, organizationId);
  const next: OrganizationRecord = { ...current, ...patch, updatedAt: deps.now().toISOString() };
  const items: GuardedItem[] = [
    replaceOrganizationIfUnchanged(
      deps,
      next,
      current.updatedAt,
      () => new ConflictError("organization", "The organization was changed by someone else; retry"),
    ),
  ];
  if (next.name.toLowerCase() !== current.name.toLowerCase()) {
    items.push(releaseOrganizationName(deps, tenantId, current.name));
    items.push(claimOrganizationName(deps, tenantId, next.name, organizationId, nameTaken));
  }
  if (next.parentId !== current.parentId) {
    if (next.parentId) await assertNoCycle(deps, tenantId, organizationId, next.parentId);
    if (current.parentId) {
      items.push(changeCount(deps, tenantId, current.parentId, "childCount", -1, notAParent));
    }
    if (next.parentId) {
      items.push(changeCount(deps, tenantId, next.parentId, "childCount", 1, notAParent));
    }
  }
  await transactWrite(deps.db, items);
  return toOrganization(next);
}

/** An organization cannot be moved under itself or one of its own descendants. */
async function assertNoCycle(deps: Deps, tenantId: string, organizationId: string, newParentId: string) {
  const byId = new Map((await listOrganizationRecords(deps, tenantId)).map((org) => [org.id, org]));
  if (!byId.has(newParentId)) throw ValidationError.one("parentId", "is not an organization of this PBX");
  for (let cursor: string | null = newParentId; cursor; cursor = byId.get(cursor)?.parentId ?? null) {
    if (cursor === organizationId) {
      throw ValidationError.one("parentId", "cannot be the organization itself or one of its descendants");
    }
  }
}

export async function deleteOrganization(deps: Deps, tenantId: string, organizationId: string): Promise<void> {
  const current = await requireOrganization(deps, tenantId, organizationId);
  const items: GuardedItem[] = [
    deleteOrganizationIfEmpty(
      deps,
      tenantId,
      organizationId,
      () => new ConflictError("organization", "Move this organization's members and child organizations out first"),
    ),
    releaseOrganizationName(deps, tenantId, current.name),
  ];
  if (current.parentId) {
    items.push(changeCount(deps, tenantId, current.parentId, "childCount", -1, notAParent));
  }
  await transactWrite(deps.db, items);
}
