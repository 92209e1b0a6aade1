import type { Deps } from "../deps.js";
import { type CustomRoleRecord, getCustomRoleRecord } from "../entities/role.js";
import { ForbiddenError, ValidationError } from "../errors.js";
import { keys } from "../keys.js";
import { DEFAULT_ROLES, isDefaultRoleId, type Permission } from "../permissions.js";
import type { GuardedItem } from "../storage/db.js";
import type { TenantCaller } from "./caller.js";

/**
 * Roles decide which PBX features a user may manage. The system's default roles live in code
 * (permissions.ts) and exist in every tenant; custom roles are items of the tenant, with a
 * holder count kept in the same transactions as role assignments, so a role in use can never
 * be deleted.
 */
export interface ResolvedRole {
  id: string;
  name: string;
  description: string;
  system: boolean;
  permissions: readonly Permission[];
}

export async function resolveRole(deps: Deps, tenantId: string, roleId: string): Promise<ResolvedRole | undefined> {
  if (isDefaultRoleId(roleId)) return { ...DEFAULT_ROLES[roleId], system: true };
  const record = await getCustomRoleRecord(deps, tenantId, roleId);
  return record ? toResolved(record) : undefined;
}

export function toResolved(record: CustomRoleRecord): ResolvedRole {
  return {
    id: record.id,
    name: record.name,
    description: record.description,
    system: false,
    permissions: record.permissions,
  };
}

/** The permissions a role grants; an unknown role grants nothing. */
export async function permissionsFor(deps: Deps, tenantId: string, roleId: string): Promise<readonly Permission[]> {
  return (await resolveRole(deps, tenantId, roleId))?.permissions ?? [];
}

/**
 * Nobody hands out more than they hold: assigning (or taking away) a role needs every
 * permission that role grants, and only a Super Administrator can make or unmake another.
 */
export function assertCanAssignRole(caller: TenantCaller, role: Pick<ResolvedRole, "id" | "name" | "permissions">) {
  if (role.id === "super_admin" && caller.role !== "super_admin") {
    throw new ForbiddenError(
      `Only a Super Administrator can assign or remove the ${DEFAULT_ROLES.super_admin.name} role`,
      { field: "role" },
    );
  }
  assertHolds(caller, role.permissions, "role");
}

/** A caller can only put permissions they hold into a role. */
export function assertHolds(caller: TenantCaller, permissions: readonly Permission[], field: string): void {
  const missing = permissions.filter((permission) => !caller.permissions.has(permission));
  if (missing.length > 0) {
    throw new ForbiddenError(`You cannot grant permissions you do not hold: ${missing.join(", ")}`, {
      field,
      permission: missing[0],
    });
  }
}

/** Resolves a role for assignment: unknown custom roles are a 400 on `role`. */
export async function requireAssignableRole(deps: Deps, caller: TenantCaller, roleId: string): Promise<ResolvedRole> {
  const role = await resolveRole(deps, caller.tenantId, roleId);
  if (!role) throw ValidationError.one("role", "is not a role of this PBX");
  assertCanAssignRole(caller, role);
  return role;
}

/** Holder count change for a custom role, in the same transaction as the assignment. */
export function roleMemberCountChange(deps: Deps, tenantId: string, roleId: string, delta: 1 | -1): GuardedItem[] {
  if (isDefaultRoleId(roleId)) return [];
  return [
    {
      item: {
        Update: {
          TableName: deps.config.tableName,
          Key: keys.role(tenantId, roleId),
          UpdateExpression: "ADD memberCount :delta",
          ConditionExpression: "attribute_exists(PK)",
          ExpressionAttributeValues: { ":delta": delta },
        },
      },
      onConditionFailed: () => ValidationError.one("role", "is not a role of this PBX"),
    },
  ];
}
