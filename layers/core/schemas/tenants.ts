import * as z from "zod";
import { email, entityId, phoneNumber, requiredText, strongPassword, text } from "./common.js";

/** Words a slug cannot be: they name parts of the service itself. */
const RESERVED_SLUGS = new Set(["api", "www", "admin", "platform", "static", "mail", "sip", "linkus", "localhost"]);

/** The slug is the tenant's SIP domain and login server name, so it is DNS-label shaped and immutable. */
export const slug = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{1,30}[a-z0-9])$/,
    "must be 3 to 32 lower-case letters, digits or hyphens, not starting or ending with a hyphen",
  )
  .refine((value) => !RESERVED_SLUGS.has(value), "is reserved");

export const tenantStatus = z.enum(["active", "suspended"]);

export const tenant = z.object({
  id: entityId,
  name: z.string(),
  slug: z.string(),
  status: tenantStatus,
  organizationManagement: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Tenant = z.infer<typeof tenant>;

export const createTenantBody = z.strictObject({
  name: requiredText(64),
  slug,
  adminEmail: email,
  adminPassword: strongPassword.optional(),
  adminFirstName: text(64).default("Administrator"),
  adminLastName: text(64).default(""),
  adminExtensionNumber: z
    .string()
    .trim()
    .regex(/^[0-9]{1,15}$/, "must be 1 to 15 digits")
    .default("1000"),
  adminMobileNumber: phoneNumber.default(""),
});

export const createTenantResponse = z.object({
  tenant,
  administrator: z.object({ extensionId: entityId, number: z.string(), email: z.string() }),
  initialPassword: z
    .string()
    .optional()
    .meta({ description: "Present only when the password was generated; shown this once and never again." }),
});

export const tenantParams = z.strictObject({ tenantId: entityId });

export const listTenantsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1, "must be at least 1").max(100, "must be at most 100").default(50),
  cursor: z.string().max(512).optional(),
});

export const listTenantsResponse = z.object({
  items: z.array(tenant),
  nextCursor: z.string().optional(),
});

/** SIP digest algorithms (RFC 8760); one challenge per entry, in this order. */
export const sipDigestAlgorithm = z.enum(["MD5", "SHA-256"]);
export type SipDigestAlgorithm = z.infer<typeof sipDigestAlgorithm>;

const sipDigestAlgorithms = z
  .array(sipDigestAlgorithm)
  .min(1, "must name at least one algorithm")
  .max(2, "must name at most two algorithms")
  .refine((list) => new Set(list).size === list.length, "must not repeat an algorithm")
  .meta({
    description:
      "The digest challenges offered to phones, in order. Several phones (baresip 1.x, sipp) answer only the first, and some give up when offered two. Null: the platform default (MD5 alone).",
  });

export const tenantSettings = z.object({
  organizationManagement: z.boolean(),
  sipDigestAlgorithms: sipDigestAlgorithms.nullable(),
});
export const updateTenantSettingsBody = z.strictObject({
  organizationManagement: z.boolean().optional(),
  sipDigestAlgorithms: sipDigestAlgorithms.nullable().optional(),
});
