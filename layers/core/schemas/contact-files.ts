import * as z from "zod";
import { PHONEBOOK_FORMATS } from "../contacts/formats/phonebook.js";
import { entityId } from "./common.js";

export const importBody = z.strictObject({
  format: z.enum(["csv", "vcard"]),
  mode: z
    .enum(["all_or_nothing", "valid_rows"])
    .meta({ description: "all_or_nothing: any bad row imports nothing; valid_rows: import the good rows" }),
  content: z.string().min(1, "is required"),
  encoding: z
    .enum(["text", "gzip+base64"])
    .default("text")
    .meta({ description: "gzip+base64 lets a 100,000-contact file fit API Gateway's request limit" }),
});

export const importJob = z.object({
  id: entityId,
  format: z.enum(["csv", "vcard"]),
  mode: z.enum(["all_or_nothing", "valid_rows"]),
  status: z.enum(["rejected", "queued", "running", "completed", "failed"]),
  total: z.number().int().meta({ description: "Rows (CSV) or cards (vCard) in the file" }),
  valid: z.number().int(),
  invalid: z.number().int(),
  done: z.number().int().meta({ description: "Valid rows processed so far" }),
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  errors: z
    .array(z.object({ line: z.number().int(), field: z.string(), message: z.string() }))
    .meta({ description: "Per-row problems with the file's line numbers (the first 1,000)" }),
  createdAt: z.string(),
  finishedAt: z.string().optional(),
});
export type ImportJob = z.infer<typeof importJob>;

export const importParams = z.strictObject({ jobId: entityId });

export const exportQuery = z.strictObject({
  format: z.enum(["csv", "vcard3", "vcard4"]).default("csv"),
  limit: z.coerce.number().int().min(1).max(10_000).default(5_000),
  cursor: z.string().max(2048).optional(),
});

export const PHONEBOOK_FILES = [...PHONEBOOK_FORMATS.map((f) => `${f}.xml`), "contacts.vcf"] as const;

export const phonebookParams = z.strictObject({
  server: z.string().min(1).max(64),
  file: z.enum(PHONEBOOK_FILES),
});

export const phonebookQuery = z.strictObject({ token: z.string().max(128).optional() });

export const phonebookInfo = z.object({
  configured: z.boolean(),
  urls: z.record(z.string(), z.string()),
  token: z.string().optional().meta({ description: "Only in the answer that creates it: shown once" }),
});
