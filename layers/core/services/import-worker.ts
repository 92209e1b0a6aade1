import { TEXT_FIELDS } from "../contacts/formats/common.js";
import { contactIdOf, matchKey, tokenPrefix } from "../contacts/index-entries.js";
import { digitsOf } from "../contacts/normalize.js";
import type { Deps } from "../deps.js";
import { loadCompanyContactRecords, putCompanyContactItems, toContact } from "../entities/contact.js";
import { companyContactIndex } from "../entities/contact-index.js";
import {
  activeImportJobs,
  chunkAnnounced,
  claimImportJob,
  getImportChunk,
  type ImportJobRecord,
  type ImportRow,
  markChunkWritten,
  releaseImportLease,
  releaseImportLock,
  saveChunkPlan,
  saveImportProgress,
} from "../entities/import-job.js";
import type { Key } from "../entities/table.js";
import { ConflictError } from "../errors.js";
import { logger } from "../logger.js";
import type { ContactInput } from "../schemas/contacts.js";
import { transactWrite } from "../storage/db.js";
import { appendBuiltChanges, type Change, isBatchTooLarge, isFeedContention, MAX_BATCH_BYTES } from "./change-feed.js";
import { companyContactUpdateWrites, companyContactWrites } from "./contacts.js";

/**
 * The import worker: writes a job's chunks one after the other, each in three steps that can
 * each be repeated after a crash (docs/decisions.md D-imports-1):
 *
 * 1. **Plan**: decide for every row create (with a new id), update (of which contact, from which
 *    version) or unchanged, and store the plan in the chunk item before writing anything.
 * 2. **Write** the plan's contacts (one item each), many requests side by side, outside the
 *    change feed: new contacts in BatchWriteItems (their ids are new, nothing can clash);
 *    updates one transaction each, conditioned on the planned version.
 * 3. **Announce** them in the change feed, up to FEED_SLICE contacts a transaction with the feed
 *    counter (D17) and one feed item (D-imports-5), each change carrying the contact as read back
 *    inside that transaction's attempt; the chunk's `feedDone` moves in the same transaction, so
 *    no change is announced twice or skipped.
 *
 * A lease keeps two workers off one job; progress is saved after every chunk's announcement,
 * which overlaps the next chunk's plan and writes.
 */
const LEASE_MS = 90_000;
/** BatchWriteItems (25 items each) or update transactions in flight at once. */
const WRITE_CONCURRENCY = 8;
/**
 * Contacts a feed transaction announces at most (fewer when their data would pass the feed item's
 * MAX_BATCH_BYTES). Each slice is one sequential step of the job, with a read of its contacts.
 */
const FEED_SLICE = 400;

interface PlannedWrite {
  /** Index of the row (in the chunk) whose data the contact gets. */
  row: number;
  id: string;
  action: "created" | "updated";
  /** For updates: the version the row replaces. */
  from?: number;
}

interface Plan {
  /** The time the plan's contacts are stamped with, so a repeated write writes the same item. */
  at: string;
  writes: PlannedWrite[];
  counts: { created: number; updated: number; unchanged: number };
}

/** Runs every queued or unfinished import job a while (the scheduled worker). */
export async function processImportJobs(deps: Deps, budgetMs = 40_000): Promise<number> {
  const deadline = Date.now() + budgetMs;
  let processed = 0;
  for (const job of await activeImportJobs(deps, 10)) {
    if (Date.now() > deadline) break;
    await processImportJob(deps, job.tenantId, job.id, deadline);
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
  // A chunk's announcement (sequential, through the counter) overlaps the next chunk's writes.
  let announcing: Promise<void> = Promise.resolve();
  try {
    while (state.nextChunk < state.chunks && Date.now() < deadline) {
      const chunk = await writeChunk(deps, state, matches);
      await announcing;
      const next: ImportJobRecord = {
        ...state,
        nextChunk: state.nextChunk + 1,
        done: state.done + chunk.rows,
        created: state.created + chunk.plan.counts.created,
        updated: state.updated + chunk.plan.counts.updated,
        unchanged: state.unchanged + chunk.plan.counts.unchanged,
      };
      announcing = announce(deps, job.tenantId, chunk.key, chunk.plan, chunk.rowList, chunk.feedDone).then(() =>
        saveProgress(deps, next, next.nextChunk >= next.chunks),
      );
      // Awaited on the next turn or below; until then its failure must not go unhandled.
      announcing.catch(() => undefined);
      state = next;
    }
    await announcing;
    if (state.nextChunk < state.chunks) await releaseImportLease(deps, state);
  } catch (error) {
    logger.error("import job failed", { jobId, error: (error as Error).name });
    // Progress is what was saved: the next run repeats from there (every step can be repeated).
    // The lease goes only once nothing of this run is still writing.
    await announcing.catch(() => undefined);
    await releaseImportLease(deps, state);
    throw error;
  }
}

/** Steps 1 and 2 for the job's next chunk: plan it (or read its stored plan) and write its contacts. */
async function writeChunk(deps: Deps, job: ImportJobRecord, matches: Map<string, string[]>) {
  const chunk = await getImportChunk(deps, job.tenantId, job.id, job.nextChunk);
  // A missing chunk is a fault to retry, never rows to skip silently.
  if (!chunk) throw new Error(`Import job ${job.id}: chunk ${job.nextChunk} is missing`);
  const key: Key = { PK: chunk.PK, SK: chunk.SK };
  const rows = (typeof chunk.rows === "string" ? JSON.parse(chunk.rows) : chunk.rows) as ImportRow[];
  const stored = typeof chunk.plan === "string" ? (JSON.parse(chunk.plan) as Plan) : undefined;
  const plan = stored ?? (await makePlan(deps, job.tenantId, rows, matches));
  if (stored) {
    // A repeated chunk: its new contacts may be written already; later rows must match them.
    for (const write of plan.writes) {
      const contactKey = matchKey(rowOf(rows, write).contact);
      const ids = matches.get(contactKey) ?? [];
      if (!ids.includes(write.id)) matches.set(contactKey, [...ids, write.id]);
    }
  } else {
    await saveChunkPlan(deps, key, JSON.stringify(plan));
  }
  if (chunk.written !== true) {
    await writePlan(deps, job.tenantId, rows, plan, { repeated: Boolean(stored) });
    await markChunkWritten(deps, key);
  }
  return { key, plan, rows: rows.length, rowList: rows, feedDone: chunk.feedDone ?? 0 };
}

function rowOf(rows: ImportRow[], write: PlannedWrite): ImportRow {
  const row = rows[write.row];
  if (!row) throw new Error(`import plan names row ${write.row} of ${rows.length}`);
  return row;
}

/** Step 1: what each row does. Rows of the file that match each other end in one contact. */
async function makePlan(
  deps: Deps,
  tenantId: string,
  rows: ImportRow[],
  matches: Map<string, string[]>,
): Promise<Plan> {
  const candidates = [...new Set(rows.flatMap((row) => matches.get(matchKey(row.contact)) ?? []))];
  const stored = await loadCompanyContactRecords(deps, tenantId, candidates, { consistent: true });
  const plan: Plan = { at: deps.now().toISOString(), writes: [], counts: { created: 0, updated: 0, unchanged: 0 } };
  /** This chunk's planned writes by contact id, with the data they will write. */
  const planned = new Map<string, { write: PlannedWrite; contact: ContactInput }>();
  rows.forEach((row, index) => {
    const key = matchKey(row.contact);
    const digits = new Set(row.contact.numbers.map((n) => digitsOf(n.number)));
    const shares = (contact: ContactInput) => contact.numbers.some((n) => digits.has(digitsOf(n.number)));
    const ids = matches.get(key) ?? [];
    const inPlan = ids.map((id) => planned.get(id)).find((p) => p && shares(p.contact));
    if (inPlan) {
      // An earlier row of this chunk already writes this contact: the later row's data wins.
      if (same(inPlan.contact, row.contact)) plan.counts.unchanged++;
      else {
        inPlan.write.row = index;
        inPlan.contact = row.contact;
        plan.counts.updated++;
      }
      return;
    }
    const existing = ids.map((id) => stored.get(id)).find((c) => c && shares(c as ContactInput));
    if (existing && same(existing as ContactInput, row.contact)) {
      plan.counts.unchanged++;
      return;
    }
    const write: PlannedWrite = existing
      ? { row: index, id: existing.id, action: "updated", from: existing.version }
      : { row: index, id: deps.newId(), action: "created" };
    plan.writes.push(write);
    planned.set(write.id, { write, contact: row.contact });
    if (existing) plan.counts.updated++;
    else {
      plan.counts.created++;
      matches.set(key, [...ids, write.id]);
    }
  });
  return plan;
}

/** Step 2: the contacts, side by side. */
async function writePlan(deps: Deps, tenantId: string, rows: ImportRow[], plan: Plan, options: { repeated: boolean }) {
  const stamped: Deps = { ...deps, now: () => new Date(plan.at) };
  const creates = plan.writes.filter((w) => w.action === "created");
  const updates = plan.writes.filter((w) => w.action === "updated");
  if (options.repeated) {
    // After a crash some contacts exist and may have been edited since: create only the missing.
    await inParallel(creates, async (write) => {
      const { writes } = companyContactWrites(stamped, tenantId, rowOf(rows, write).contact, write.id);
      try {
        await transactWrite(deps.db, writes);
      } catch (error) {
        if (!isTransactionConditionFailure(error)) throw error;
      }
    });
  } else {
    const puts = creates.flatMap(
      (write) => companyContactWrites(stamped, tenantId, rowOf(rows, write).contact, write.id).items,
    );
    const batches = [];
    for (let i = 0; i < puts.length; i += 25) batches.push(puts.slice(i, i + 25));
    await inParallel(batches, (batch) => putCompanyContactItems(deps, batch));
  }
  await inParallel(updates, async (write) => {
    const current = (await loadCompanyContactRecords(deps, tenantId, [write.id], { consistent: true })).get(write.id);
    // Gone, or edited since the plan (by someone, or by this plan before a crash): that version stands.
    if (!current || current.version !== write.from) return;
    const { writes } = companyContactUpdateWrites(stamped, current, rowOf(rows, write).contact);
    try {
      await transactWrite(deps.db, writes);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  });
}

function isTransactionConditionFailure(error: unknown): boolean {
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  return Boolean(reasons?.some((reason) => reason.Code === "ConditionalCheckFailed"));
}

/**
 * Runs `run` over the items, WRITE_CONCURRENCY at a time. After a failure no new item starts, and
 * the failure is thrown only once every started item has settled: nothing of a failed run is
 * still writing when its lease is released.
 */
async function inParallel<T>(items: T[], run: (item: T) => Promise<void>) {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++] as T;
      try {
        await run(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, items.length) }, worker));
  if (failure) throw failure.error;
}

/** Step 3: the chunk's changes into the feed, in plan order, each slice exactly once. */
async function announce(deps: Deps, tenantId: string, chunkKey: Key, plan: Plan, rows: ImportRow[], from: number) {
  // A slice's attempt (reading its contacts back, a transaction) is slower than a person's edit,
  // so steady editing could fail every attempt: after a slice loses its retries to edits (or its
  // contacts outgrow one feed item), the next attempts take half as many contacts, down to one.
  let size = FEED_SLICE;
  for (let start = from; start < plan.writes.length; ) {
    const slice = fitToFeedItem(plan.writes.slice(start, start + size), rows);
    const end = start + slice.length;
    try {
      await announceSlice(deps, tenantId, chunkKey, slice, start, end);
    } catch (error) {
      if (!(isFeedContention(error) || isBatchTooLarge(error)) || slice.length === 1) throw error;
      size = Math.max(1, Math.floor(slice.length / 2));
      continue;
    }
    start = end;
  }
}

/** The leading writes whose rows, as planned, fit a feed item (at least one). */
function fitToFeedItem(writes: PlannedWrite[], rows: ImportRow[]): PlannedWrite[] {
  // The contact's stored form adds its id, version and times to the row's fields.
  let bytes = 0;
  for (const [i, write] of writes.entries()) {
    bytes += Buffer.byteLength(JSON.stringify(rowOf(rows, write).contact)) + 200;
    if (bytes > MAX_BATCH_BYTES && i > 0) return writes.slice(0, i);
  }
  return writes;
}

async function announceSlice(
  deps: Deps,
  tenantId: string,
  chunkKey: Key,
  slice: Plan["writes"],
  start: number,
  end: number,
) {
  await appendBuiltChanges(deps, tenantId, "contacts", async () => {
    // Read after the counter: an edit committed later moves the counter and this attempt fails.
    const current = await loadCompanyContactRecords(
      deps,
      tenantId,
      slice.map((w) => w.id),
      { consistent: true },
    );
    const changes = slice.flatMap((write): Change[] => {
      const contact = current.get(write.id);
      // Deleted since it was written: its deletion is in the feed, and there is nothing to announce.
      return contact ? [{ action: write.action, entity: "contact", id: write.id, data: toContact(contact) }] : [];
    });
    return { changes, writes: [chunkAnnounced(deps, chunkKey, start, end)] };
  });
}

function claim(deps: Deps, tenantId: string, jobId: string): Promise<ImportJobRecord | undefined> {
  const now = Date.now();
  return claimImportJob(deps, tenantId, jobId, now, now + LEASE_MS);
}

async function saveProgress(deps: Deps, job: ImportJobRecord, finished: boolean) {
  await saveImportProgress(
    deps,
    job,
    finished ? { completedAt: deps.now().toISOString() } : { leaseUntil: Date.now() + LEASE_MS },
  );
  // The tenant may import again. Only this job's lock is removed; a takeover's stays.
  if (finished) await releaseImportLock(deps, job.tenantId, job.id);
}

/** matchKey → ids of contacts with that name and company; kept current as the job creates contacts. */
async function loadMatchIndex(deps: Deps, tenantId: string): Promise<Map<string, string[]>> {
  const index = new Map<string, string[]>();
  const prefix = tokenPrefix("k", "");
  for (const sk of (await companyContactIndex(deps, tenantId)).entries(prefix)) {
    const key = sk.slice(prefix.length, sk.lastIndexOf("\u0001"));
    index.set(key, [...(index.get(key) ?? []), contactIdOf(sk)]);
  }
  return index;
}

function same(current: ContactInput, next: ContactInput): boolean {
  if (TEXT_FIELDS.some((field) => current[field] !== next[field])) return false;
  return JSON.stringify(current.numbers) === JSON.stringify(next.numbers);
}
