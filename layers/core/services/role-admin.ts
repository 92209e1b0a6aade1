import type * as z from "zod";
import type { Deps } from "../deps.js";
import { type CustomRoleRecord, getCustomRoleRecord, listCustomRoleRecords } from "../entities/role.js";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import { keys } from "../keys.js";
import { DEFAULT_ROLE_IDS, DEFAULT_ROLES, isDefaultRoleId } from "../permissions.js";
import type { createRoleBody, Role, updateRoleBody } from "../schemas/roles.js";
import { type GuardedItem, putIfUnchanged, transactWrite } from "../storage/db.js";
import type { TenantCaller } from "./caller.js";
import { appendChanges } from "./change-feed.js";
import { queryAllExtensions, updateExtension } from "./extensions.js";
import { assertCanAssignRole, assertHolds, resolveRole } from "./roles.js";

/** Administration of roles: list with holder counts, custom role CRUD, holders, delete with reassignment. */
export async function listRoles(deps: Deps, tenantId: string): Promise<{ items: Role[] }> {
  const [extensions, custom] = await Promise.all([
    queryAllExtensions(deps, tenantId),
    listCustomRoleRecords(deps, tenantId),
  ]);
  const holders = new Map<string, number>();
  for (const extension of extensions) holders.set(extension.role, (holders.get(extension.role) ?? 0) + 1);
  const system = DEFAULT_ROLE_IDS.map((id) => ({
    id,
    name: DEFAULT_ROLES[id].name,
    description: DEFAULT_ROLES[id].description,
    system: true,
    permissions: [...DEFAULT_ROLES[id].permissions],
    memberCount: holders.get(id) ?? 0,
  }));
  return { items: [...system, ...custom.map(toRole)] };
}

function toRole(record: CustomRoleRecord): Role {
  const { id, name, description, permissions, memberCount, createdAt, updatedAt } = record;
  return { id, name, description, system: false, permissions, memberCount, createdAt, updatedAt };
}

export async function getRole(deps: Deps, tenantId: string, roleId: string): Promise<Role> {
  const roles = await listRoles(deps, tenantId);
  const role = roles.items.find((r) => r.id === roleId);
  if (!role) throw new NotFoundError("Role");
  return role;
}

const NAME_TAKEN = "A role with this name already exists";

function assertNotSystemName(name: string): void {
  const lower = name.toLowerCase();
  if (DEFAULT_ROLE_IDS.some((id) => DEFAULT_ROLES[id].name.toLowerCase() === lower)) {
    throw new ConflictError("name", "This name belongs to a system role");
  }
}

function nameGuard(deps: Deps, tenantId: string, name: string, roleId: string): GuardedItem {
  return {
    item: {
      Put: {
        TableName: deps.config.tableName,
        Item: { ...keys.roleName(tenantId, name), type: "guard", roleId },
        ConditionExpression: "attribute_not_exists(PK)",
      },
    },
    onConditionFailed: () => new ConflictError("name", NAME_TAKEN),
  };
}

export async function createRole(deps: Deps, caller: TenantCaller, input: z.output<typeof createRoleBody>) {
  assertHolds(caller, input.permissions, "permissions");
  assertNotSystemName(input.name);
  const id = deps.newId();
  const now = deps.now().toISOString();
  const record: CustomRoleRecord = {
    ...keys.role(caller.tenantId, id),
    type: "role",
    id,
    name: input.name,
    description: input.description,
    permissions: input.permissions,
    memberCount: 0,
    createdAt: now,
    updatedAt: now,
  };
  await transactWrite(deps.db, [
    {
      item: {
        Put: { TableName: deps.config.tableName, Item: record, ConditionExpression: "attribute_not_exists(PK)" },
      },
    },
    nameGuard(deps, caller.tenantId, input.name, id),
  ]);
  return toRole(record);
}

async function requireCustomRole(deps: Deps, tenantId: string, roleId: string): Promise<CustomRoleRecord> {
  if (isDefaultRoleId(roleId)) {
    throw new ConflictError("roleId", "System roles cannot be changed or deleted");
  }
  const record = await getCustomRoleRecord(deps, tenantId, roleId);
  if (!record) throw new NotFoundError("Role");
  return record;
}

export async function updateRole(
  deps: Deps,
  caller: TenantCaller,
  roleId: string,
  patch: z.output<typeof updateRoleBody>,
) {
  const current = await requireCustomRole(deps, caller.tenantId, roleId);
  // Editing a role is granting (its new permissions) and taking away (its old ones).
  assertHolds(caller, current.permissions, "permissions");
  if (patch.permissions) assertHolds(caller, patch.permissions, "permissions");
  if (patch.name) assertNotSystemName(patch.name);
  const next: CustomRoleRecord = { ...current, ...patch, updatedAt: deps.now().toISOString() };
  const writes: GuardedItem[] = [
    putIfUnchanged(
      deps.config.tableName,
      next,
      "updatedAt",
      current.updatedAt,
      () => new ConflictError("roleId", "The role was changed by someone else; retry"),
    ),
  ];
  if (next.name.toLowerCase() !== current.name.toLowerCase()) {
    writes.push({
      item: { Delete: { TableName: deps.config.tableName, Key: keys.roleName(caller.tenantId, current.name) } },
    });
    writes.push(nameGuard(deps, caller.tenantId, next.name, roleId));
  }
  await appendChanges(
    deps,
    caller.tenantId,
    "permissions",
    [{ action: "updated", entity: "role", id: roleId }],
    writes,
  );
  return toRole(next);
}

/**
 * Deletes a custom role. With `reassignTo`, its holders move to that role first (each move is
 * an ordinary, fully checked role change); without, a role that still has holders is refused.
 */
export async function deleteRole(deps: Deps, caller: TenantCaller, roleId: string, reassignTo: string | undefined) {
  const current = await requireCustomRole(deps, caller.tenantId, roleId);
  assertHolds(caller, current.permissions, "roleId");
  if (reassignTo !== undefined) {
    if (reassignTo === roleId) throw ValidationError.one("reassignTo", "must be another role", "query");
    const target = await resolveRole(deps, caller.tenantId, reassignTo);
    if (!target) throw ValidationError.one("reassignTo", "is not a role of this PBX", "query");
    assertCanAssignRole(caller, target);
    const holders = (await queryAllExtensions(deps, caller.tenantId)).filter((extension) => extension.role === roleId);
    for (const holder of holders) await updateExtension(deps, caller, holder.id, { role: reassignTo });
  }
  await appendChanges(
    deps,
    caller.tenantId,
    "permissions",
    [{ action: "deleted", entity: "role", id: roleId }],
    [
      {
        item: {
          Delete: {
            TableName: deps.config.tableName,
            Key: keys.role(caller.tenantId, roleId),
            ConditionExpression: "attribute_exists(PK) AND memberCount = :zero",
            ExpressionAttributeValues: { ":zero": 0 },
          },
        },
        onConditionFailed: () =>
          new ConflictError(
            "roleId",
            "The role still has holders; assign them another role first (or pass reassignTo)",
          ),
      },
      { item: { Delete: { TableName: deps.config.tableName, Key: keys.roleName(caller.tenantId, current.name) } } },
    ],
  );
}

export async function roleMembers(deps: Deps, tenantId: string, roleId: string) {
  if (!(await resolveRole(deps, tenantId, roleId))) throw new NotFoundError("Role");
  const holders = (await queryAllExtensions(deps, tenantId)).filter((extension) => extension.role === roleId);
  return {
    items: holders
      .sort((a, b) => a.number.localeCompare(b.number, "en", { numeric: true }))
      .map(({ id, number, firstName, lastName, email }) => ({ id, number, firstName, lastName, email })),
  };
}
