import * as z from "zod";
import { DEFAULT_ROLE_IDS } from "../permissions.js";
import { email, entityId, order, pageQuery, phoneNumber, strongPassword, text } from "./common.js";

export const extensionNumber = z
  .string()
  .trim()
  .regex(/^[0-9]{1,15}$/, "must be 1 to 15 digits");

/** Characters safe inside a SIP URI user part and a digest `username="..."`. */
export const registrationName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._~-]{3,64}$/, "must be 3 to 64 letters, digits or . _ ~ -");

/**
 * The SIP password is what toll-fraud scanners guess, so the user-password policy applies
 * to it too; quotes, backslashes and spaces are refused because a digest header quotes it.
 */
export const registrationPassword = strongPassword.refine(
  (value) => /^[!#-[\]-~]+$/.test(value),
  "may contain printable characters except space, quote and backslash",
);

const ROLE_ID = new RegExp(`^(${DEFAULT_ROLE_IDS.join("|")}|[0-9A-HJKMNP-TV-Z]{26})$`);

/** A system role's id (super_admin, admin, ...) or a custom role's id. */
export const roleId = z
  .string()
  .regex(ROLE_ID, `must be a system role (${DEFAULT_ROLE_IDS.join(", ")}) or a custom role's id`)
  .meta({ description: `A system role (${DEFAULT_ROLE_IDS.join(", ")}) or a custom role's id` });

const organizations = z
  .array(entityId)
  .max(20, "at most 20 organizations")
  .refine((ids) => new Set(ids).size === ids.length, "must not repeat an organization");

/** The editable fields, with seed 002's defaults applied on create. */
const extensionFields = {
  firstName: text(64).min(1, "is required"),
  lastName: text(64),
  email: z.union([email, z.literal("")]),
  mobileNumber: phoneNumber,
  role: roleId,
  organizations,
  jobTitle: text(64),
  number: extensionNumber,
  callerId: phoneNumber,
  registrationName,
  concurrentRegistrations: z
    .number()
    .int("must be a whole number")
    .min(1, "must be 1, 2 or 3")
    .max(3, "must be 1, 2 or 3"),
};

export const createExtensionBody = z.strictObject({
  firstName: extensionFields.firstName,
  lastName: extensionFields.lastName.default(""),
  email: extensionFields.email.default(""),
  mobileNumber: extensionFields.mobileNumber.default(""),
  userPassword: strongPassword
    .optional()
    .meta({ description: "Random when omitted; returned once as initialUserPassword." }),
  role: extensionFields.role.default("none"),
  organizations: extensionFields.organizations.default([]),
  jobTitle: extensionFields.jobTitle.default(""),
  number: extensionFields.number,
  callerId: extensionFields.callerId.default(""),
  registrationName: extensionFields.registrationName.optional().meta({ description: "Random when omitted." }),
  registrationPassword: registrationPassword.optional().meta({ description: "Random and strong when omitted." }),
  concurrentRegistrations: extensionFields.concurrentRegistrations.default(1),
  sendWelcomeEmail: z
    .boolean()
    .default(false)
    .meta({ description: "Send the Linkus welcome email (needs an email address)" }),
});
export type CreateExtensionInput = z.infer<typeof createExtensionBody>;

export const updateExtensionBody = z
  .strictObject({
    firstName: extensionFields.firstName.optional(),
    lastName: extensionFields.lastName.optional(),
    email: extensionFields.email.optional(),
    mobileNumber: extensionFields.mobileNumber.optional(),
    role: extensionFields.role.optional(),
    organizations: extensionFields.organizations.optional(),
    jobTitle: extensionFields.jobTitle.optional(),
    number: extensionFields.number.optional(),
    callerId: extensionFields.callerId.optional(),
    registrationName: extensionFields.registrationName.optional(),
    registrationPassword: registrationPassword.optional(),
    concurrentRegistrations: extensionFields.concurrentRegistrations.optional(),
    version: z.number().int().min(1).optional().meta({
      description: "When given, the update applies only if the extension is still at this version (409 otherwise).",
    }),
  })
  .refine((body) => Object.keys(body).some((key) => key !== "version"), "must change at least one field");
export type UpdateExtensionInput = z.infer<typeof updateExtensionBody>;

export const extension = z.object({
  id: entityId,
  number: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  email: z.string(),
  mobileNumber: z.string(),
  role: roleId,
  organizations: z.array(entityId),
  jobTitle: z.string(),
  callerId: z.string(),
  registrationName: z.string(),
  concurrentRegistrations: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int(),
});
export type Extension = z.infer<typeof extension>;

export const welcomeResult = z.object({
  extensionId: entityId,
  /** queued: SES did not take it at once; the outbox retries it (and lists it if every retry fails). */
  status: z.enum(["sent", "queued", "skipped"]),
  reason: z.string().optional(),
});

export const welcomeEmailsBody = z.strictObject({
  extensionIds: z
    .array(entityId)
    .min(1, "must name at least one extension")
    .max(100, "at most 100 extensions at a time")
    .refine((ids) => new Set(ids).size === ids.length, "must not repeat an extension"),
});

export const welcomeEmailsResponse = z.object({ results: z.array(welcomeResult) });

export const createExtensionResponse = extension.extend({
  initialUserPassword: z
    .string()
    .optional()
    .meta({ description: "Present only when the user password was generated; shown this once." }),
  welcomeEmail: welcomeResult.optional().meta({ description: "Present when sendWelcomeEmail was asked for" }),
});

export const extensionParams = z.strictObject({ extensionId: entityId });

export const listExtensionsQuery = z.strictObject({
  ...pageQuery,
  search: z.string().trim().max(64, "must be at most 64 characters").optional(),
  sortBy: z.enum(["number", "name", "email", "createdAt"]).default("number"),
  order,
});
export type ListExtensionsQuery = z.infer<typeof listExtensionsQuery>;

export const listExtensionsResponse = z.object({
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
  items: z.array(extension),
});

export const sipCredentials = z.object({
  extensionId: entityId,
  number: z.string(),
  domain: z.string().meta({ description: "The SIP domain: the tenant's slug" }),
  registrationName: z.string(),
  registrationPassword: z.string(),
});
