import { ForbiddenError } from "../errors.js";
import { DEFAULT_ROLES, permissionsOfRole } from "../permissions.js";
import type { TenantCaller } from "./caller.js";

/**
 * Nobody hands out more than they hold: assigning (or taking away) a role needs every
 * permission that role grants, and only a Super Administrator can make or unmake another.
 */
export function assertCanAssignRole(caller: TenantCaller, roleId: string): void {
  if (roleId === "super_admin" && caller.role !== "super_admin") {
    throw new ForbiddenError(
      `Only a Super Administrator can assign or remove the ${DEFAULT_ROLES.super_admin.name} role`,
      {
        field: "role",
      },
    );
  }
  const missing = permissionsOfRole(roleId).filter((permission) => !caller.permissions.has(permission));
  if (missing.length > 0) {
    throw new ForbiddenError(`You cannot assign a role with permissions you do not hold: ${missing.join(", ")}`, {
      field: "role",
      permission: missing[0],
    });
  }
}
