import { isUtf8 } from "node:buffer";
import * as z from "zod";
import { PHONEBOOK_FORMATS } from "../contacts/formats/phonebook.js";
import { ValidationError } from "../errors.js";
import type { UploadedFile } from "../http/file-body.js";
import { entityId } from "./common.js";

const importMode = z
  .enum(["all_or_nothing", "valid_rows"])
  .meta({ description: "all_or_nothing: any bad row imports nothing; valid_rows: import the good rows" });

export const importBody = z.strictObject({
  format: z.enum(["csv", "vcard"]),
  mode: importMode,
  content: z.string().min(1, "is required"),
  encoding: z
    .enum(["text", "gzip+base64"])
    .default("text")
    .meta({ description: "gzip+base64 lets a 100,000-contact file fit API Gateway's request limit" }),
});

/** For a file sent as the body or in a form: its mode (all_or_nothing unless a form field says otherwise). */
export const importQuery = z.strictObject({
  mode: importMode.optional(),
  format: z.enum(["csv", "vcard"]).optional(),
});

/** The largest import request body (JSON, raw file or form), and the largest file once inflated. */
export const IMPORT_MAX_REQUEST_BYTES = 5 * 1024 * 1024;
export const IMPORT_MAX_FILE_BYTES = 16 * 1024 * 1024;
/** The largest number of contacts (CSV rows or vCards) one import takes. */
export const IMPORT_MAX_ROWS = 100_000;

const RAW_FORMATS: Record<string, "csv" | "vcard"> = {
  "text/csv": "csv",
  "application/csv": "csv",
  "text/vcard": "vcard",
  "text/x-vcard": "vcard",
  "text/directory": "vcard",
};

/**
 * A file body as the import's JSON body: the format from the form or query, else the file's media
 * type, else its extension (browsers on Windows send CSV files as application/vnd.ms-excel).
 */
export function importBodyFromFile(file: UploadedFile, query: Record<string, string | undefined>) {
  const extension = /\.(csv|vcf|vcard)$/i.exec(file.filename ?? "")?.[1]?.toLowerCase();
  const format =
    file.fields.format ??
    query.format ??
    RAW_FORMATS[file.mediaType] ??
    (extension ? (extension === "csv" ? "csv" : "vcard") : undefined);
  if (!file.gzip && !isUtf8(file.bytes)) {
    throw ValidationError.one("content", "is not UTF-8 text: save the file as UTF-8 (CSV UTF-8 in Excel)");
  }
  return {
    format,
    mode: file.fields.mode ?? query.mode ?? "all_or_nothing",
    content: file.gzip ? file.bytes.toString("base64") : file.bytes.toString("utf8"),
    encoding: file.gzip ? "gzip+base64" : "text",
  };
}

export const IMPORT_FILE_TYPES = Object.keys(RAW_FORMATS);

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
