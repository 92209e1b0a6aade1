import * as z from "zod";
import { email, entityId, text } from "./common.js";

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
  email: z.union([email, z.literal("")]).default(""),
  remark: text(255).default(""),
  zipCode: text(32).default(""),
  street: text(128).default(""),
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
