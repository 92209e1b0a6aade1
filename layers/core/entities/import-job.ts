import type { Deps } from "../deps.js";
import type { DomainError } from "../errors.js";
import { keys } from "../keys.js";
import type { ImportJob } from "../schemas/contact-files.js";
import type { ContactInput } from "../schemas/contacts.js";
import type { GuardedItem } from "../storage/db.js";
import { getItem, type Key, putItem, queryPage, sendGuarded, writeBatches } from "./table.js";

/**
 * Contact import jobs, in the tenant's `#JOB` partition: the job (`IMPORT#<id>`, on GSI1
 * `IMPORT#ACTIVE` while queued or running), its chunks of validated rows (`IMPORT#<id>#CHUNK#<n>`,
 * later holding the worker's plan and progress) and the tenant's one import lock (`LOCK#IMPORT`,
 * naming the job that holds it). See services/contact-import.ts and import-worker.ts.
 */
export interface ImportJobRecord extends ImportJob {
  PK: string;
  SK: string;
  type: "importJob";
  tenantId: string;
  chunks: number;
  nextChunk: number;
  leaseUntil?: number;
}

/** A validated row of the file, with its line number for errors. */
export interface ImportRow {
  line: number;
  contact: ContactInput;
}

export interface ImportChunkRecord {
  PK: string;
  SK: string;
  /** The rows as JSON (older chunks: the list itself). */
  rows: string | ImportRow[];
  /** The worker's plan as JSON, stored before it writes anything. */
  plan?: string;
  /** The plan's contacts are written. */
  written?: boolean;
  /** How many of the plan's writes the change feed announced. */
  feedDone?: number;
}

const ACTIVE = "IMPORT#ACTIVE";

export function getImportJobRecord(deps: Deps, tenantId: string, jobId: string) {
  return getItem<ImportJobRecord>(deps, keys.importJob(tenantId, jobId));
}

/** A job that needs no worker (rejected, or nothing to write), stored as it ends. */
export const putFinishedImportJob: (deps: Deps, job: ImportJobRecord) => Promise<void> = putItem;

/**
 * The transaction that queues a job: the job, listed on GSI1 for the worker, and the tenant's
 * import lock, taken only if free (or still held by `staleHolder`, a job that ended without
 * releasing it); `onLockTaken` when another import holds it.
 */
export function queueImportJobWrites(
  deps: Deps,
  job: ImportJobRecord,
  staleHolder: string | undefined,
  onLockTaken: () => DomainError,
): GuardedItem[] {
  const TableName = deps.config.tableName;
  return [
    {
      item: {
        Put: { TableName, Item: { ...job, GSI1PK: ACTIVE, GSI1SK: `${job.createdAt}#${job.tenantId}#${job.id}` } },
      },
    },
    {
      item: {
        Put: {
          TableName,
          Item: {
            ...keys.importLock(job.tenantId),
            type: "importLock",
            jobId: job.id,
            takenAt: deps.now().toISOString(),
          },
          ConditionExpression: staleHolder ? "attribute_not_exists(PK) OR jobId = :stale" : "attribute_not_exists(PK)",
          ExpressionAttributeValues: staleHolder ? { ":stale": staleHolder } : undefined,
        },
      },
      onConditionFailed: onLockTaken,
    },
  ];
}

/** The job the tenant's import lock names, if any. */
export async function importLockHolder(deps: Deps, tenantId: string): Promise<string | undefined> {
  return (await getItem<{ jobId?: string }>(deps, keys.importLock(tenantId)))?.jobId;
}

/** Releases the tenant's lock if this job still holds it (a takeover's stays). */
export async function releaseImportLock(deps: Deps, tenantId: string, jobId: string): Promise<void> {
  await sendGuarded(deps, {
    Delete: {
      Key: keys.importLock(tenantId),
      ConditionExpression: "jobId = :job",
      ExpressionAttributeValues: { ":job": jobId },
    },
  });
}

/** Up to `limit` jobs queued or running, across tenants (the scheduled worker). */
export async function activeImportJobs(deps: Deps, limit: number): Promise<{ tenantId: string; id: string }[]> {
  const page = await queryPage<ImportJobRecord>(deps, {
    IndexName: "GSI1",
    KeyConditionExpression: "GSI1PK = :pk",
    ExpressionAttributeValues: { ":pk": ACTIVE },
    Limit: limit,
  });
  return page.items.map((item) => ({ tenantId: item.tenantId, id: item.id }));
}

/**
 * Takes the job's lease until `leaseUntil` if it is queued or running and no live lease holds it;
 * the job as it stands then, or undefined when another worker has it or it is done.
 */
export async function claimImportJob(
  deps: Deps,
  tenantId: string,
  jobId: string,
  now: number,
  leaseUntil: number,
): Promise<ImportJobRecord | undefined> {
  const outcome = await sendGuarded<ImportJobRecord>(deps, {
    Update: {
      Key: keys.importJob(tenantId, jobId),
      UpdateExpression: "SET #status = :running, leaseUntil = :lease",
      ConditionExpression: "#status IN (:queued, :running) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: { ":running": "running", ":queued": "queued", ":lease": leaseUntil, ":now": now },
      ReturnValues: "ALL_NEW",
    },
  });
  return outcome.written ? outcome.attributes : undefined;
}

/**
 * Saves the counts and the next chunk: with `completedAt` the job is completed and leaves GSI1
 * (the caller then releases the lock); otherwise the lease moves on to `leaseUntil`.
 */
export async function saveImportProgress(
  deps: Deps,
  job: ImportJobRecord,
  end: { completedAt: string } | { leaseUntil: number },
): Promise<void> {
  const finished = "completedAt" in end;
  const counts = "nextChunk = :next, done = :done, created = :created, updated = :updated, unchanged = :unchanged";
  await sendGuarded(deps, {
    Update: {
      Key: keys.importJob(job.tenantId, job.id),
      UpdateExpression: finished
        ? `SET ${counts}, #status = :completed, finishedAt = :now REMOVE leaseUntil, GSI1PK, GSI1SK`
        : `SET ${counts}, leaseUntil = :lease`,
      ExpressionAttributeNames: finished ? { "#status": "status" } : undefined,
      ExpressionAttributeValues: {
        ":next": job.nextChunk,
        ":done": job.done,
        ":created": job.created,
        ":updated": job.updated,
        ":unchanged": job.unchanged,
        ...(finished ? { ":completed": "completed", ":now": end.completedAt } : { ":lease": end.leaseUntil }),
      },
    },
  });
}

/** Gives the lease up (progress stays as saved). */
export async function releaseImportLease(deps: Deps, job: ImportJobRecord): Promise<void> {
  await sendGuarded(deps, {
    Update: { Key: keys.importJob(job.tenantId, job.id), UpdateExpression: "REMOVE leaseUntil" },
  });
}

/** Stores the chunks' rows (JSON), eight puts at a time (each up to 160 KB); they expire after 7 days. */
export async function putImportChunks(deps: Deps, tenantId: string, jobId: string, chunks: readonly string[]) {
  const expiresAt = Math.floor(deps.now().getTime() / 1000) + 7 * 86400;
  for (let i = 0; i < chunks.length; i += 8) {
    await Promise.all(
      chunks
        .slice(i, i + 8)
        .map((rows, j) =>
          putItem(deps, { ...keys.importChunk(tenantId, jobId, i + j), type: "importChunk", rows, expiresAt }),
        ),
    );
  }
}

export async function deleteImportChunks(deps: Deps, tenantId: string, jobId: string, count: number) {
  const doomed = Array.from({ length: count }, (_, n) => ({ delete: keys.importChunk(tenantId, jobId, n) }));
  await writeBatches(deps, doomed);
}

/** A chunk, read consistently: the stream starts a job moments after its chunks were written. */
export function getImportChunk(deps: Deps, tenantId: string, jobId: string, chunk: number) {
  return getItem<ImportChunkRecord>(deps, keys.importChunk(tenantId, jobId, chunk));
}

/** Stores the chunk's plan (JSON) before any of it is written; nothing of it is announced yet. */
export async function saveChunkPlan(deps: Deps, chunk: Key, plan: string): Promise<void> {
  await sendGuarded(deps, {
    Update: {
      Key: chunk,
      UpdateExpression: "SET #plan = :plan, feedDone = :zero",
      ExpressionAttributeNames: { "#plan": "plan" },
      ExpressionAttributeValues: { ":plan": plan, ":zero": 0 },
    },
  });
}

export async function markChunkWritten(deps: Deps, chunk: Key): Promise<void> {
  await sendGuarded(deps, {
    Update: { Key: chunk, UpdateExpression: "SET written = :true", ExpressionAttributeValues: { ":true": true } },
  });
}

/** The feed transaction's item that moves the chunk's announced count from `start` to `end`, once. */
export function chunkAnnounced(deps: Deps, chunk: Key, start: number, end: number): GuardedItem {
  return {
    item: {
      Update: {
        TableName: deps.config.tableName,
        Key: chunk,
        UpdateExpression: "SET feedDone = :end",
        ConditionExpression: "feedDone = :start",
        ExpressionAttributeValues: { ":start": start, ":end": end },
      },
    },
  };
}
