import * as z from "zod";
import { PERMISSIONS } from "../permissions.js";
import { entityId, requiredText, text } from "./common.js";
import { roleId } from "./extensions.js";

const permissionSet = z
  .array(z.enum(PERMISSIONS))
  .max(PERMISSIONS.length)
  .refine((list) => new Set(list).size === list.length, "must not repeat a permission");

export const role = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  system: z.boolean().meta({ description: "A default role: present in every PBX, cannot be changed or deleted" }),
  permissions: z.array(z.enum(PERMISSIONS)),
  memberCount: z.number().int(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
});
export type Role = z.infer<typeof role>;

export const createRoleBody = z.strictObject({
  name: requiredText(64),
  description: text(255).default(""),
  permissions: permissionSet,
});

export const updateRoleBody = z
  .strictObject({
    name: requiredText(64).optional(),
    description: text(255).optional(),
    permissions: permissionSet.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, "must change at least one field");

export const roleParams = z.strictObject({ roleId });

export const deleteRoleQuery = z.strictObject({
  reassignTo: roleId.optional().meta({ description: "Move the role's holders to this role, then delete it" }),
});

export const listRolesResponse = z.object({ items: z.array(role) });

export const roleMembersResponse = z.object({
  items: z.array(
    z.object({ id: entityId, number: z.string(), firstName: z.string(), lastName: z.string(), email: z.string() }),
  ),
});
