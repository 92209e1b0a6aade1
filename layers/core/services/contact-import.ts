import { gunzipSync } from "node:zlib";
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type * as z from "zod";
import { TEXT_FIELDS } from "../contacts/formats/common.js";
import { csvRecordToContactInput, parseCsv } from "../contacts/formats/csv.js";
import { parseVcards } from "../contacts/formats/vcard.js";
import { contactIdOf, matchKey, tokenPrefix } from "../contacts/index-entries.js";
import { digitsOf } from "../contacts/normalize.js";
import type { Deps } from "../deps.js";
import { DomainError, NotFoundError, ValidationError } from "../errors.js";
import { keys } from "../keys.js";
import { logger } from "../logger.js";
import type { ImportJob, importBody } from "../schemas/contact-files.js";
import { type ContactInput, contactInput } from "../schemas/contacts.js";
import { type GuardedItem, isConditionalCheckFailed, sortKeyStartsWith } from "../storage/db.js";
import { pickFields } from "../storage/pick.js";
import { appendChanges, type Change } from "./change-feed.js";
import { companyContactUpdateWrites, companyContactWrites, toContact } from "./contacts.js";

/**
 * Importing company contacts from CSV or vCard, as a job:
 *
 * 1. The request parses and validates every row at once and reports each bad row with its
 *    line number. In all_or_nothing mode one bad row rejects the file and nothing is imported;
 *    in valid_rows mode the good rows go ahead.
 * 2. The valid rows are stored in chunks and the job is queued; the worker (the notifier
 *    function, or `npm start` locally) writes them chunk by chunk, recording progress, so a
 *    100,000-row file survives Lambda time limits. Small files are done within the request.
 *
 * Match rule (re-importing a file adds nothing): a row matches an existing company contact when
 * first name, last name and company are equal (ignoring case, accents and extra spaces) and
 * they share at least one number (digits only). A matching row that differs updates the
 * contact; an identical one leaves it alone; anything else creates a contact.
 */
const CHUNK_ROWS = 1000;
const MAX_STORED_ERRORS = 1000;
const INLINE_ROWS = 200;
const LEASE_MS = 90_000;

interface StoredJob extends ImportJob {
  PK: string;
  SK: string;
  type: "importJob";
  tenantId: string;
  chunks: number;
  nextChunk: number;
  leaseUntil?: number;
}

interface Row {
  line: number;
  contact: ContactInput;
}

export async function startImport(
  deps: Deps,
  tenantId: string,
  input: z.output<typeof importBody>,
): Promise<ImportJob> {
  const text = decode(input.content, input.encoding);
  const valid: Row[] = [];
  const errors: ImportJob["errors"] = [];
  let total = 0;
  let invalid = 0;
  for (const record of readRecords(input.format, text)) {
    total++;
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
  if (total === 0) throw ValidationError.one("content", "holds no contacts");

  const id = deps.newId();
  const now = deps.now().toISOString();
  const rejected = input.mode === "all_or_nothing" && invalid > 0;
  const chunks = rejected ? 0 : Math.ceil(valid.length / CHUNK_ROWS);
  const job: StoredJob = {
    ...keys.importJob(tenantId, id),
    type: "importJob",
    tenantId,
    id,
    format: input.format,
    mode: input.mode,
    status: rejected ? "rejected" : chunks === 0 ? "completed" : "queued",
    total,
    valid: valid.length,
    invalid,
    done: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    errors,
    chunks,
    nextChunk: 0,
    createdAt: now,
    ...(rejected || chunks === 0 ? { finishedAt: now } : {}),
  };
  for (let chunk = 0; chunk < chunks; chunk++) {
    await deps.db.send(
      new PutCommand({
        TableName: deps.config.tableName,
        Item: {
          ...keys.importChunk(tenantId, id, chunk),
          type: "importChunk",
          rows: valid.slice(chunk * CHUNK_ROWS, (chunk + 1) * CHUNK_ROWS),
          expiresAt: Math.floor(deps.now().getTime() / 1000) + 7 * 86400,
        },
      }),
    );
  }
  // Queued jobs are found through GSI1 by the worker, across tenants.
  const active = job.status === "queued" ? { GSI1PK: "IMPORT#ACTIVE", GSI1SK: `${now}#${tenantId}#${id}` } : {};
  await deps.db.send(new PutCommand({ TableName: deps.config.tableName, Item: { ...job, ...active } }));
  if (job.status === "queued" && valid.length <= INLINE_ROWS) {
    await processImportJob(deps, tenantId, id, Date.now() + 20_000);
    return getImportJob(deps, tenantId, id);
  }
  return toJob(job);
}

function decode(content: string, encoding: "text" | "gzip+base64"): string {
  if (encoding === "text") return content;
  try {
    return gunzipSync(Buffer.from(content, "base64"), { maxOutputLength: 64 * 1024 * 1024 }).toString("utf8");
  } catch {
    throw ValidationError.one("content", "is not gzip data in base64");
  }
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
  const result = await deps.db.send(
    new GetCommand({ TableName: deps.config.tableName, Key: keys.importJob(tenantId, jobId), ConsistentRead: true }),
  );
  if (!result.Item) throw new NotFoundError("Import job");
  return toJob(result.Item as StoredJob);
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

function toJob(job: StoredJob): ImportJob {
  return pickFields(job, JOB_FIELDS);
}

/** Runs every queued or unfinished import job a while (the scheduled worker). */
export async function processImportJobs(deps: Deps, budgetMs = 40_000): Promise<number> {
  const deadline = Date.now() + budgetMs;
  const page = await deps.db.send(
    new QueryCommand({
      TableName: deps.config.tableName,
      IndexName: "GSI1",
      KeyConditionExpression: "GSI1PK = :pk",
      ExpressionAttributeValues: { ":pk": "IMPORT#ACTIVE" },
      Limit: 10,
    }),
  );
  let processed = 0;
  for (const item of page.Items ?? []) {
    if (Date.now() > deadline) break;
    await processImportJob(deps, item.tenantId as string, item.id as string, deadline);
    processed++;
  }
  return processed;
}

/**
 * Works on one job until it is done or the deadline passes. A lease keeps two workers off the
 * same job; progress is saved after every chunk, so the next run continues where this stopped.
 */
export async function processImportJob(deps: Deps, tenantId: string, jobId: string, deadline: number): Promise<void> {
  // Claiming costs a lease and a read of the match index: not worth it with no time left.
  if (Date.now() >= deadline) return;
  const job = await claim(deps, tenantId, jobId);
  if (!job) return;
  const matches = await loadMatchIndex(deps, tenantId);
  let state = job;
  try {
    while (state.nextChunk < state.chunks && Date.now() < deadline) {
      // Consistent: the stream starts a job moments after its chunks were written.
      const chunk = await deps.db.send(
        new GetCommand({
          TableName: deps.config.tableName,
          Key: keys.importChunk(tenantId, jobId, state.nextChunk),
          ConsistentRead: true,
        }),
      );
      // A missing chunk is a fault to retry, never rows to skip silently.
      if (!chunk.Item) throw new Error(`Import job ${jobId}: chunk ${state.nextChunk} is missing`);
      const rows = chunk.Item.rows as Row[];
      const counts = await importRows(deps, tenantId, rows, matches);
      state = {
        ...state,
        nextChunk: state.nextChunk + 1,
        done: state.done + rows.length,
        created: state.created + counts.created,
        updated: state.updated + counts.updated,
        unchanged: state.unchanged + counts.unchanged,
      };
      await saveProgress(deps, state, state.nextChunk >= state.chunks);
    }
    if (state.nextChunk < state.chunks) await release(deps, state);
  } catch (error) {
    logger.error("import job failed", { jobId, error: (error as Error).name });
    await release(deps, state);
    throw error;
  }
}

async function claim(deps: Deps, tenantId: string, jobId: string): Promise<StoredJob | undefined> {
  const now = Date.now();
  try {
    const result = await deps.db.send(
      new UpdateCommand({
        TableName: deps.config.tableName,
        Key: keys.importJob(tenantId, jobId),
        UpdateExpression: "SET #status = :running, leaseUntil = :lease",
        ConditionExpression:
          "#status IN (:queued, :running) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":running": "running",
          ":queued": "queued",
          ":lease": now + LEASE_MS,
          ":now": now,
        },
        ReturnValues: "ALL_NEW",
      }),
    );
    return result.Attributes as StoredJob;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return undefined;
    throw error;
  }
}

async function saveProgress(deps: Deps, job: StoredJob, finished: boolean) {
  await deps.db.send(
    new UpdateCommand({
      TableName: deps.config.tableName,
      Key: keys.importJob(job.tenantId, job.id),
      UpdateExpression: finished
        ? "SET nextChunk = :next, done = :done, created = :created, updated = :updated, unchanged = :unchanged, #status = :completed, finishedAt = :now REMOVE leaseUntil, GSI1PK, GSI1SK"
        : "SET nextChunk = :next, done = :done, created = :created, updated = :updated, unchanged = :unchanged, leaseUntil = :lease",
      ExpressionAttributeNames: finished ? { "#status": "status" } : undefined,
      ExpressionAttributeValues: {
        ":next": job.nextChunk,
        ":done": job.done,
        ":created": job.created,
        ":updated": job.updated,
        ":unchanged": job.unchanged,
        ...(finished
          ? { ":completed": "completed", ":now": deps.now().toISOString() }
          : { ":lease": Date.now() + LEASE_MS }),
      },
    }),
  );
}

async function release(deps: Deps, job: StoredJob) {
  await deps.db.send(
    new UpdateCommand({
      TableName: deps.config.tableName,
      Key: keys.importJob(job.tenantId, job.id),
      UpdateExpression: "REMOVE leaseUntil",
    }),
  );
}

/** matchKey → ids of contacts with that name and company; kept current as the job creates contacts. */
async function loadMatchIndex(deps: Deps, tenantId: string): Promise<Map<string, string[]>> {
  const index = new Map<string, string[]>();
  let startKey: Record<string, unknown> | undefined;
  const prefix = tokenPrefix("k", "");
  do {
    const page = await deps.db.send(
      new QueryCommand({
        TableName: deps.config.tableName,
        ...sortKeyStartsWith(keys.contactIndexPartition(tenantId), prefix),
        ProjectionExpression: "SK",
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const sk = item.SK as string;
      const key = sk.slice(prefix.length, sk.lastIndexOf("\u0001"));
      index.set(key, [...(index.get(key) ?? []), contactIdOf(sk)]);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return index;
}

/** Writes rows a few contacts per transaction (each with its index and feed entry). */
async function importRows(deps: Deps, tenantId: string, rows: Row[], matches: Map<string, string[]>) {
  const counts = { created: 0, updated: 0, unchanged: 0 };
  let batch: { writes: GuardedItem[]; changes: Change[] } = { writes: [], changes: [] };
  const flush = async () => {
    if (batch.changes.length > 0) await appendChanges(deps, tenantId, "contacts", batch.changes, batch.writes);
    batch = { writes: [], changes: [] };
  };
  for (const row of rows) {
    const key = matchKey(row.contact);
    const candidates = matches.get(key) ?? [];
    const existing = candidates.length ? await findMatch(deps, tenantId, candidates, row.contact) : undefined;
    let planned: { writes: GuardedItem[]; change: Change } | undefined;
    if (existing && same(existing.contact, row.contact)) {
      counts.unchanged++;
    } else if (existing) {
      planned = companyContactUpdateWrites(deps, tenantId, existing.stored as never, row.contact);
      counts.updated++;
    } else {
      const created = companyContactWrites(deps, tenantId, row.contact);
      matches.set(key, [...candidates, created.contact.id]);
      planned = created;
      counts.created++;
    }
    if (!planned) continue;
    // A transaction holds 100 items: the counter, one feed entry per contact, and the writes.
    if (batch.writes.length + planned.writes.length + batch.changes.length + 2 > 100) await flush();
    batch.writes.push(...planned.writes);
    batch.changes.push(planned.change);
  }
  await flush();
  return counts;
}

async function findMatch(deps: Deps, tenantId: string, candidates: string[], contact: ContactInput) {
  const digits = new Set(contact.numbers.map((n) => digitsOf(n.number)));
  const stored = await loadStoredContacts(deps, tenantId, candidates);
  const match = stored.find((c) => (c.numbers as ContactInput["numbers"]).some((n) => digits.has(digitsOf(n.number))));
  return match ? { contact: toContact(match), stored: match } : undefined;
}

async function loadStoredContacts(deps: Deps, tenantId: string, ids: string[]) {
  const items: Record<string, unknown>[] = [];
  for (const id of ids) {
    const result = await deps.db.send(
      new GetCommand({
        TableName: deps.config.tableName,
        Key: keys.companyContact(tenantId, id),
        ConsistentRead: true,
      }),
    );
    if (result.Item) items.push(result.Item);
  }
  return items;
}

function same(current: ContactInput, next: ContactInput): boolean {
  if (TEXT_FIELDS.some((field) => current[field] !== next[field])) return false;
  return JSON.stringify(current.numbers) === JSON.stringify(next.numbers);
}
