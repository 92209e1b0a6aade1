import { createGunzip } from "node:zlib";
import type * as z from "zod";
import { csvRecordToContactInput, parseCsv } from "../contacts/formats/csv.js";
import { parseVcards } from "../contacts/formats/vcard.js";
import type { Deps } from "../deps.js";
import {
  deleteImportChunks,
  getImportJobRecord,
  type ImportJobRecord,
  type ImportRow,
  importLockHolder,
  putFinishedImportJob,
  putImportChunks,
  queueImportJobWrites,
} from "../entities/import-job.js";
import { ConflictError, DomainError, NotFoundError, PayloadTooLargeError, ValidationError } from "../errors.js";
import { formatBytes } from "../http/file-body.js";
import { keys } from "../keys.js";
import { logger } from "../logger.js";
import { IMPORT_MAX_FILE_BYTES, IMPORT_MAX_ROWS, type ImportJob, type importBody } from "../schemas/contact-files.js";
import { contactInput } from "../schemas/contacts.js";
import { transactWrite } from "../storage/db.js";
import { pickFields } from "../storage/pick.js";
import { processImportJob } from "./import-worker.js";

/**
 * Importing company contacts from CSV or vCard, as a job. The request:
 *
 * 1. refuses at once (409, nothing written) while another import of the tenant is running: one
 *    import per tenant at a time, so ten uploads of one file cannot race each other into copies;
 * 2. inflates a gzip body as a stream that stops at IMPORT_MAX_FILE_BYTES (413 naming the limit),
 *    then parses and validates every row in slices, yielding between them so the function keeps
 *    serving, and stops at IMPORT_MAX_ROWS (413); each bad row is reported with its line number.
 *    In all_or_nothing mode one bad row rejects the file and nothing is imported; in valid_rows
 *    mode the good rows go ahead;
 * 3. stores the valid rows in chunk items cut by size (well under DynamoDB's 400 KB item limit),
 *    then writes the job and the tenant's import lock in one transaction, so a refused request
 *    leaves no job. Small files are then done within the request.
 *
 * The worker (import-worker.ts) writes the rows. Match rule (re-importing a file adds nothing): a
 * row matches an existing company contact when first name, last name and company are equal
 * (ignoring case, accents and extra spaces) and they share at least one number (digits only). A
 * matching row that differs updates the contact; an identical one leaves it alone; anything else
 * creates a contact.
 */
const MAX_STORED_ERRORS = 1000;
const INLINE_ROWS = 200;
/** A chunk's rows as JSON, at most this many bytes (one row is at most ~12 KB): items stay far below 400 KB. */
export const CHUNK_BYTES = 160_000;
/** And at most this many rows, so the plan stored beside them stays small. */
export const CHUNK_MAX_ROWS = 1000;
/** Rows parsed between two yields to the event loop. */
const PARSE_SLICE_ROWS = 500;

export async function startImport(
  deps: Deps,
  tenantId: string,
  input: z.output<typeof importBody>,
): Promise<ImportJob> {
  // Cheap first: a second import while one runs costs one or two reads, not a parse.
  const staleLock = await assertNoRunningImport(deps, tenantId);
  const text = await decode(input.content, input.encoding);
  const { valid, errors, total, invalid } = await validateRows(input.format, text);
  if (total === 0) throw ValidationError.one("content", "holds no contacts");

  const id = deps.newId();
  const now = deps.now().toISOString();
  const rejected = input.mode === "all_or_nothing" && invalid > 0;
  const chunks = rejected ? [] : chunkRows(valid);
  const job: ImportJobRecord = {
    ...keys.importJob(tenantId, id),
    type: "importJob",
    tenantId,
    id,
    format: input.format,
    mode: input.mode,
    status: rejected ? "rejected" : chunks.length === 0 ? "completed" : "queued",
    total,
    valid: valid.length,
    invalid,
    done: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    errors,
    chunks: chunks.length,
    nextChunk: 0,
    createdAt: now,
    ...(rejected || chunks.length === 0 ? { finishedAt: now } : {}),
  };
  if (job.status !== "queued") {
    await putFinishedImportJob(deps, job);
    return toJob(job);
  }

  await putImportChunks(deps, tenantId, id, chunks);
  try {
    // Queued jobs are found through GSI1 by the worker, across tenants.
    await transactWrite(
      deps.db,
      queueImportJobWrites(deps, job, staleLock, () => runningImportError("(another)")),
    );
  } catch (error) {
    // Lost the race for the lock to a concurrent import: take the chunks back, leave no job.
    if (error instanceof ConflictError) await deleteImportChunks(deps, tenantId, id, chunks.length);
    throw error;
  }
  if (valid.length <= INLINE_ROWS) {
    try {
      await processImportJob(deps, tenantId, id, Date.now() + 20_000);
    } catch (error) {
      // The job is stored and queued: the worker finishes it. The caller learns its state, not a 500.
      logger.warn("inline import deferred to the worker", { jobId: id, error: (error as Error).name });
    }
    return getImportJob(deps, tenantId, id);
  }
  return toJob(job);
}

function runningImportError(jobId: string) {
  return new ConflictError("import", "An import is already running for this tenant; try again when it has finished", {
    jobId,
  });
}

/**
 * Throws 409 while the tenant's lock names a queued or running job. A lock whose job finished
 * without releasing it (a crash between the two writes) is stale: its job id is returned so the
 * new import can take it over conditionally.
 */
async function assertNoRunningImport(deps: Deps, tenantId: string): Promise<string | undefined> {
  const holder = await importLockHolder(deps, tenantId);
  if (!holder) return undefined;
  const status = (await getImportJobRecord(deps, tenantId, holder))?.status;
  if (status === "queued" || status === "running") throw runningImportError(holder);
  return holder;
}

/** Cuts the rows into chunks of at most CHUNK_BYTES of JSON (and CHUNK_MAX_ROWS rows). */
export function chunkRows(rows: ImportRow[]): string[] {
  const chunks: string[] = [];
  let current: string[] = [];
  let bytes = 2;
  for (const row of rows) {
    const json = JSON.stringify(row);
    const size = Buffer.byteLength(json) + 1;
    if (current.length > 0 && (bytes + size > CHUNK_BYTES || current.length >= CHUNK_MAX_ROWS)) {
      chunks.push(`[${current.join(",")}]`);
      current = [];
      bytes = 2;
    }
    current.push(json);
    bytes += size;
  }
  if (current.length > 0) chunks.push(`[${current.join(",")}]`);
  return chunks;
}

/** The file's text; a gzip body is inflated as a stream that stops at the file limit. */
async function decode(content: string, encoding: "text" | "gzip+base64"): Promise<string> {
  if (encoding === "text") {
    if (Buffer.byteLength(content) > IMPORT_MAX_FILE_BYTES) throw fileTooLarge();
    return content;
  }
  return (await gunzipBounded(Buffer.from(content, "base64"), IMPORT_MAX_FILE_BYTES)).toString("utf8");
}

function fileTooLarge() {
  return new PayloadTooLargeError(
    "content",
    `The file is larger than ${formatBytes(IMPORT_MAX_FILE_BYTES)} once inflated: split it`,
    IMPORT_MAX_FILE_BYTES,
  );
}

/** Inflates chunk by chunk and gives up as soon as the output passes `limit` (a gzip bomb costs at most that). */
export function gunzipBounded(data: Buffer, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip();
    const parts: Buffer[] = [];
    let size = 0;
    gunzip.on("data", (part: Buffer) => {
      size += part.length;
      if (size > limit) {
        gunzip.destroy();
        reject(fileTooLarge());
        return;
      }
      parts.push(part);
    });
    gunzip.on("end", () => resolve(Buffer.concat(parts)));
    gunzip.on("error", () => reject(ValidationError.one("content", "is not gzip data in base64")));
    gunzip.end(data);
  });
}

async function validateRows(format: "csv" | "vcard", text: string) {
  const valid: ImportRow[] = [];
  const errors: ImportJob["errors"] = [];
  let total = 0;
  let invalid = 0;
  for (const record of readRecords(format, text)) {
    total++;
    if (total > IMPORT_MAX_ROWS) {
      throw new PayloadTooLargeError(
        "content",
        `The file holds more than ${IMPORT_MAX_ROWS.toLocaleString("en-US")} contacts: split it`,
        IMPORT_MAX_ROWS,
      );
    }
    // Other requests get their turn between slices.
    if (total % PARSE_SLICE_ROWS === 0) await new Promise((resolve) => setImmediate(resolve));
    const parsed = contactInput.safeParse(record.data);
    if (parsed.success) {
      valid.push({ line: record.line, contact: parsed.data });
      continue;
    }
    invalid++;
    for (const issue of parsed.error.issues) {
      if (errors.length < MAX_STORED_ERRORS) {
        errors.push({ line: record.line, field: issue.path.join(".") || "row", message: issue.message });
      }
    }
  }
  return { valid, errors, total, invalid };
}

function* readRecords(format: "csv" | "vcard", text: string): Generator<{ line: number; data: unknown }> {
  try {
    if (format === "csv") {
      for (const record of parseCsv(text)) yield { line: record.line, data: csvRecordToContactInput(record.fields) };
    } else {
      for (const record of parseVcards(text)) yield { line: record.line, data: record.contact };
    }
  } catch (error) {
    if (error instanceof DomainError) {
      const line = (error as { line?: number }).line;
      throw ValidationError.one("content", line ? `line ${line}: ${error.message}` : error.message);
    }
    throw error;
  }
}

export async function getImportJob(deps: Deps, tenantId: string, jobId: string): Promise<ImportJob> {
  const job = await getImportJobRecord(deps, tenantId, jobId);
  if (!job) throw new NotFoundError("Import job");
  return toJob(job);
}

const JOB_FIELDS = [
  "id",
  "format",
  "mode",
  "status",
  "total",
  "valid",
  "invalid",
  "done",
  "created",
  "updated",
  "unchanged",
  "errors",
  "createdAt",
  "finishedAt",
] as const satisfies readonly (keyof ImportJob)[];

function toJob(job: ImportJobRecord): ImportJob {
  return pickFields(job, JOB_FIELDS);
}
