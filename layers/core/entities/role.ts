import type { Deps } from "../deps.js";
import { keys, partitionOf } from "../keys.js";
import type { Permission } from "../permissions.js";
import { sortKeyStartsWith } from "../storage/db.js";
import { getItem, queryEvery } from "./table.js";

/**
 * A custom role (`ROLE#<id>`) and its name guard (`UNIQ#roleName#<lower-cased>`). The default
 * roles are code (permissions.ts), not items. `memberCount` changes in the same transactions
 * as role assignments, so a role in use can never be deleted.
 */
export interface CustomRoleRecord {
  PK: string;
  SK: string;
  type: "role";
  id: string;
  name: string;
  description: string;
  permissions: Permission[];
  memberCount: number;
  createdAt: string;
  updatedAt: string;
}

export function getCustomRoleRecord(
  deps: Deps,
  tenantId: string,
  roleId: string,
): Promise<CustomRoleRecord | undefined> {
  return getItem<CustomRoleRecord>(deps, keys.role(tenantId, roleId));
}

export function listCustomRoleRecords(deps: Deps, tenantId: string): Promise<CustomRoleRecord[]> {
  return queryEvery<CustomRoleRecord>(deps, sortKeyStartsWith(partitionOf(tenantId), keys.rolePrefix));
}
