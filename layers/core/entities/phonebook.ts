import type { Deps } from "../deps.js";
import { partitionOf } from "../keys.js";
import { getItem, getItems, queryPage, sendGuarded, writeBatches } from "./table.js";

/**
 * The stored phonebooks (D-imports-2): a head item (`PHONEBOOK#HEAD`: the feed sequence of the
 * build, its parts per file; on GSI1 `PHONEBOOK#STALE` while a phone found it behind the
 * directory) and the gzip-compressed files cut in parts (`PHONEBOOK#PART#<sequence>#<file>#<n>`).
 * A build writes its parts first and then points the head at them, so a reader never sees half.
 */
export interface BookHead {
  sequence: number;
  builtAt: string;
  /** Contacts in the build (absent on books built before it was recorded). */
  contacts?: number;
  /** Parts per file. */
  files: Record<string, number>;
  /** Set while the book is marked stale. */
  GSI1PK?: string;
}

const STALE = "PHONEBOOK#STALE";
// In the tenant's main partition. Here rather than in keys.ts: only the contacts and notifier
// functions touch stored phonebooks, and keys.ts is in every bundle.
const headKey = (tenantId: string) => ({ PK: partitionOf(tenantId), SK: "PHONEBOOK#HEAD" });
const partKey = (tenantId: string, sequence: number, file: string, part: number) => ({
  PK: partitionOf(tenantId),
  SK: `PHONEBOOK#PART#${String(sequence).padStart(12, "0")}#${file}#${part}`,
});

export function getBookHead(deps: Deps, tenantId: string): Promise<BookHead | undefined> {
  return getItem<BookHead>(deps, headKey(tenantId));
}

/** Points the head at a new build unless a build of this sequence or a newer one is there; false then. */
export async function putBookHead(deps: Deps, tenantId: string, head: BookHead): Promise<boolean> {
  const outcome = await sendGuarded(deps, {
    Put: {
      Item: { ...headKey(tenantId), type: "phonebookHead", ...head },
      ConditionExpression: "attribute_not_exists(PK) OR #sequence < :sequence",
      ExpressionAttributeNames: { "#sequence": "sequence" },
      ExpressionAttributeValues: { ":sequence": head.sequence },
    },
  });
  return outcome.written;
}

/** A built file's parts, written ten a batch (a BatchWriteItem holds at most 16 MB). */
export async function putBookParts(
  deps: Deps,
  tenantId: string,
  sequence: number,
  parts: readonly { file: string; part: number; data: Uint8Array }[],
): Promise<void> {
  const puts = parts.map(({ file, part, data }) => ({
    put: { ...partKey(tenantId, sequence, file, part), type: "phonebookPart", data },
  }));
  await writeBatches(deps, puts, { size: 10 });
}

/** A file's parts in order, read consistently; undefined if any is missing (a newer build replaced them). */
export async function getBookParts(
  deps: Deps,
  tenantId: string,
  head: BookHead,
  file: string,
): Promise<Uint8Array[] | undefined> {
  const count = head.files[file] ?? 0;
  const wanted = Array.from({ length: count }, (_, part) => partKey(tenantId, head.sequence, file, part));
  const found = new Map(
    (await getItems<{ SK: string; data: Uint8Array }>(deps, wanted)).map((item) => [item.SK, item.data]),
  );
  const parts = wanted.map((key) => found.get(key.SK));
  return parts.every((part) => part !== undefined) ? parts : undefined;
}

export async function deleteBookParts(
  deps: Deps,
  tenantId: string,
  sequence: number,
  files: Record<string, number>,
): Promise<void> {
  const doomed = Object.entries(files).flatMap(([file, count]) =>
    Array.from({ length: count }, (_, part) => ({ delete: partKey(tenantId, sequence, file, part) })),
  );
  await writeBatches(deps, doomed);
}

/** Lists the book for the scheduled rebuild (a head that is not there is left alone). */
export async function markBookStale(deps: Deps, tenantId: string): Promise<void> {
  await sendGuarded(deps, {
    Update: {
      Key: headKey(tenantId),
      UpdateExpression: "SET GSI1PK = :stale, GSI1SK = :tenant",
      ConditionExpression: "attribute_exists(PK)",
      ExpressionAttributeValues: { ":stale": STALE, ":tenant": tenantId },
    },
  });
}

export async function clearBookStale(deps: Deps, tenantId: string): Promise<void> {
  await sendGuarded(deps, {
    Update: { Key: headKey(tenantId), UpdateExpression: "REMOVE GSI1PK, GSI1SK" },
  });
}

/** Up to `limit` tenants whose books are marked stale. */
export async function staleBookTenants(deps: Deps, limit: number): Promise<string[]> {
  const page = await queryPage<{ GSI1SK: string }>(deps, {
    IndexName: "GSI1",
    KeyConditionExpression: "GSI1PK = :stale",
    ExpressionAttributeValues: { ":stale": STALE },
    Limit: limit,
  });
  return page.items.map((item) => item.GSI1SK);
}
