import * as z from "zod";
import { email, entityId, multilineText, text } from "./common.js";

/** Yeastar's number types, in the order Yeastar lists them. */
export const NUMBER_TYPES = [
  "business",
  "business2",
  "business_fax",
  "mobile",
  "mobile2",
  "home",
  "home2",
  "home_fax",
  "other",
] as const;
export type NumberType = (typeof NUMBER_TYPES)[number];

/** Seed 001 and Yeastar's import rule: digits, spaces and `( ) . - +`, at most 31 characters. */
export const contactNumber = z
  .string()
  .trim()
  .min(1, "is required")
  .max(31, "must be at most 31 characters")
  .regex(/^[0-9 ().+-]+$/, "may contain only digits, spaces and ( ) . - +")
  .refine((value) => /[0-9]/.test(value), "must contain a digit");

export const numberEntry = z.strictObject({
  type: z.enum(NUMBER_TYPES),
  number: contactNumber,
});

/** The fields every contact has, company or personal (Yeastar's company contact fields). */
export const contactFields = {
  firstName: text(64).default(""),
  lastName: text(64).default(""),
  company: text(128).default(""),
  // The union would answer zod's bare "Invalid input": say which rule the value broke.
  email: z.union([email, z.literal("")], { error: "must be a valid email address, or empty" }).default(""),
  remark: multilineText(1024).default(""),
  zipCode: text(32).default(""),
  street: multilineText(255).default(""),
  city: text(64).default(""),
  state: text(64).default(""),
  country: text(64).default(""),
  numbers: z.array(numberEntry).max(20, "at most 20 numbers"),
};

/** Seed 001: either First Name or Last Name, and at least one number. */
export const contactInput = z.strictObject(contactFields).superRefine((contact, context) => {
  if (!contact.firstName && !contact.lastName) {
    context.addIssue({ code: "custom", path: ["firstName"], message: "a first name or a last name is required" });
  }
  if (contact.numbers.length === 0) {
    context.addIssue({ code: "custom", path: ["numbers"], message: "at least one number is required" });
  }
});
export type ContactInput = z.output<typeof contactInput>;

export const contact = z.object({
  id: entityId,
  firstName: z.string(),
  lastName: z.string(),
  company: z.string(),
  email: z.string(),
  remark: z.string(),
  zipCode: z.string(),
  street: z.string(),
  city: z.string(),
  state: z.string(),
  country: z.string(),
  numbers: z.array(z.object({ type: z.enum(NUMBER_TYPES), number: z.string() })),
  directory: z.enum(["company", "personal"]),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Contact = z.infer<typeof contact>;

export const contactParams = z.strictObject({ contactId: entityId });

export const updateContactBody = z
  .strictObject({ ...contactFields, version: z.number().int().min(1) })
  .superRefine((contact, context) => {
    if (!contact.firstName && !contact.lastName) {
      context.addIssue({ code: "custom", path: ["firstName"], message: "a first name or a last name is required" });
    }
    if (contact.numbers.length === 0) {
      context.addIssue({ code: "custom", path: ["numbers"], message: "at least one number is required" });
    }
  });

export const deleteContactQuery = z.strictObject({
  version: z.coerce.number().int().min(1).optional().meta({ description: "Delete only if still at this version" }),
});

export const DIRECTORIES = ["company", "personal", "all"] as const;

/** The Linkus Contacts page: the Directory selector, a search box, pages by cursor. */
export const listContactsQuery = z.strictObject({
  directory: z.enum(DIRECTORIES).default("all"),
  q: z.string().trim().max(64, "must be at most 64 characters").optional(),
  company: z.string().trim().max(128).optional(),
  limit: z.coerce.number().int().min(1, "must be at least 1").max(200, "must be at most 200").default(50),
  cursor: z.string().max(2048).optional(),
});

export const listContactsResponse = z.object({ items: z.array(contact), nextCursor: z.string().optional() });

const { numbers: _numbers, ...fieldsWithoutNumbers } = contactFields;

/** "Add New Contact" / "Add to Existing Contact" from a call log, voicemail or recording. */
export const addFromRecordBody = z.discriminatedUnion("mode", [
  z
    .strictObject({
      mode: z.literal("new"),
      directory: z.enum(["company", "personal"]),
      numberType: z.enum(NUMBER_TYPES).default("business"),
      contact: z.strictObject(fieldsWithoutNumbers),
    })
    .superRefine((body, context) => {
      if (!body.contact.firstName && !body.contact.lastName) {
        context.addIssue({
          code: "custom",
          path: ["contact", "firstName"],
          message: "a first name or a last name is required",
        });
      }
    }),
  z.strictObject({
    mode: z.literal("existing"),
    directory: z.enum(["company", "personal"]),
    contactId: entityId,
    numberType: z.enum(NUMBER_TYPES).default("business"),
    version: z.number().int().min(1).optional(),
  }),
]);
export type AddFromRecordInput = z.output<typeof addFromRecordBody>;

export const changesQuery = z.strictObject({
  since: z.coerce.number().int().min(0, "must be 0 or more").default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export const changesResponse = z.object({
  changes: z.array(
    z.object({
      sequence: z.number().int(),
      time: z.string(),
      action: z.enum(["created", "updated", "deleted"]),
      entity: z.string(),
      id: z.string(),
      data: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
  latest: z.number().int().meta({ description: "The feed's newest sequence; pass it as `since` next time" }),
  resyncRequired: z
    .boolean()
    .meta({ description: "Changes you missed have expired: reload the whole directory, then follow from `latest`" }),
});
