import * as z from "zod";
import { PERMISSIONS } from "../permissions.js";
import { entityId } from "./common.js";
import { roleId } from "./extensions.js";

export const loginBody = z.strictObject({
  server: z.string().trim().toLowerCase().min(1, "is required").max(64, "must be at most 64 characters"),
  email: z.string().trim().min(1, "is required").max(254, "must be at most 254 characters"),
  password: z.string().min(1, "is required").max(128, "must be at most 128 characters"),
});

export const principal = z.object({
  tenant: z.object({ id: entityId, slug: z.string(), name: z.string() }),
  extension: z.object({ id: entityId, number: z.string(), email: z.string(), role: roleId }),
  permissions: z.array(z.enum(PERMISSIONS)),
});

export const loginResponse = principal.extend({
  accessToken: z.string(),
  tokenType: z.literal("Bearer"),
  expiresIn: z.number().int().meta({ description: "Seconds until the access token expires" }),
});
