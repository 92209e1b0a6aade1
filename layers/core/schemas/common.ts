import * as z from "zod";

/** A name-like text field: trimmed, printable, bounded. */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\p{Cc}]*$/u, "must not contain control characters");

/** Like `text`, but line breaks and tabs are allowed (remarks, street addresses). */
export const multilineText = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine(
      (value) => ![...value].some((c) => /\p{Cc}/u.test(c) && c !== "\n" && c !== "\r" && c !== "\t"),
      "must not contain control characters other than line breaks",
    );

export const requiredText = (max: number) => text(max).min(1, "is required");

export const email = z
  .string()
  .trim()
  .max(254, "must be at most 254 characters")
  .pipe(z.email("must be a valid email address"))
  .transform((value) => value.toLowerCase());

/** Digits, spaces and `( ) . - +`, at most 31 characters: the phone number rule Yeastar uses. */
export const phoneNumber = z
  .string()
  .trim()
  .max(31, "must be at most 31 characters")
  .regex(/^[0-9 ().+-]*$/, "may contain only digits, spaces and ( ) . - +");

/** ULIDs identify every stored entity. */
export const entityId = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, "must be a valid id");

export const PASSWORD_RULE = "must be 10 to 128 characters with a digit, an upper-case and a lower-case letter";

/** Seed 002: at least 10 characters with a number, an upper-case and a lower-case letter. */
export const strongPassword = z
  .string()
  .min(10, PASSWORD_RULE)
  .max(128, PASSWORD_RULE)
  .refine((value) => /[0-9]/.test(value) && /[A-Z]/.test(value) && /[a-z]/.test(value), PASSWORD_RULE);

export const pageQuery = {
  page: z.coerce.number().int("must be a whole number").min(1, "must be at least 1").default(1),
  pageSize: z.coerce
    .number()
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(100, "must be at most 100")
    .default(20),
};

export const order = z.enum(["asc", "desc"]).default("asc");

export const errorBody = z.object({
  error: z.string().meta({ description: "Machine-readable error code" }),
  message: z.string(),
  fields: z
    .array(z.object({ in: z.enum(["body", "query", "path", "header"]), field: z.string(), message: z.string() }))
    .optional(),
  field: z.string().optional().meta({ description: "For 409: the field whose value is taken" }),
  permission: z.string().optional().meta({ description: "For 403: the permission the route needs" }),
});

export const empty = z.object({}).strict();
