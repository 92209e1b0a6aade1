import * as z from "zod";
import { entityId, requiredText, text } from "./common.js";

export const organization = z.object({
  id: entityId,
  name: z.string(),
  description: z.string(),
  parentId: entityId.nullable(),
  memberCount: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Organization = z.infer<typeof organization>;

export const createOrganizationBody = z.strictObject({
  name: requiredText(64),
  description: text(255).default(""),
  parentId: entityId.nullable().default(null),
});

export const updateOrganizationBody = z
  .strictObject({
    name: requiredText(64).optional(),
    description: text(255).optional(),
    parentId: entityId.nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, "must change at least one field");

export const organizationParams = z.strictObject({ organizationId: entityId });

export const listOrganizationsResponse = z.object({ items: z.array(organization) });
