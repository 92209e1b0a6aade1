import type { Deps } from "../deps.js";
import type { DomainError } from "../errors.js";
import { keys, partitionOf } from "../keys.js";
import { type GuardedItem, sortKeyBetween } from "../storage/db.js";
import { getItem, queryPage } from "./table.js";

/**
 * A change feed of one tenant and topic: its counter (`FEEDSEQ#<topic>`, the last sequence
 * handed out) and one item per committed batch of changes, keyed by the batch's last sequence
 * (`FEED#<topic>#<sequence, 12 digits>`, TTL'd) and holding them all: a bulk import announces
 * hundreds of contacts with one item where one per change cost as much as the contacts
 * (D-imports-5). Items of one change each (`type: "feedEntry"`, written before) read the same.
 */
interface StoredChange {
  action: string;
  entity: string;
  id: string;
  data?: Record<string, unknown>;
}

export interface FeedEntryRecord extends StoredChange {
  sequence: number;
  time: string;
}

type StoredFeedItem =
  | ({ type: "feedEntry" } & FeedEntryRecord)
  | { type: "feedEntries"; first: number; sequence: number; time: string; changes: StoredChange[] };

/** The feed's last sequence; 0 before its first change. */
export async function feedCounter(deps: Deps, tenantId: string, topic: string): Promise<number> {
  const counter = await getItem<{ sequence?: number }>(deps, keys.feedCounter(tenantId, topic));
  return counter?.sequence ?? 0;
}

/** Moves the counter from `seen` to `next` only if no one moved it since it was read. */
export function advanceFeedCounter(
  deps: Deps,
  tenantId: string,
  topic: string,
  seen: number,
  next: number,
  onMoved: () => DomainError,
): GuardedItem {
  return {
    item: {
      Put: {
        TableName: deps.config.tableName,
        Item: { ...keys.feedCounter(tenantId, topic), type: "feedCounter", sequence: next },
        ConditionExpression: seen === 0 ? "attribute_not_exists(PK)" : "#sequence = :current",
        ExpressionAttributeNames: seen === 0 ? undefined : { "#sequence": "sequence" },
        ExpressionAttributeValues: seen === 0 ? undefined : { ":current": seen },
      },
    },
    onConditionFailed: onMoved,
  };
}

/** One item holding a batch of changes numbered `first`, `first + 1`, … (at least one). */
export function putFeedEntries(
  deps: Deps,
  tenantId: string,
  topic: string,
  batch: { first: number; time: string; changes: readonly StoredChange[]; expiresAt: number },
): GuardedItem {
  const last = batch.first + batch.changes.length - 1;
  const Item = {
    ...keys.feedEntry(tenantId, topic, last),
    type: "feedEntries",
    topic,
    first: batch.first,
    sequence: last,
    time: batch.time,
    changes: batch.changes,
    expiresAt: batch.expiresAt,
  };
  return { item: { Put: { TableName: deps.config.tableName, Item } } };
}

/**
 * Entries after `since`, oldest first, at most `limit` (strongly consistent). A batch item is
 * keyed by its last sequence, so the first one found may start at or before `since`: its earlier
 * changes are left out.
 *
 * The Query asks for the batches that end by `since + limit`, not for all that follow: DynamoDB
 * Local reads up to `Limit` items before it cuts a page at 1 MB, so a reader of a feed of 300 KB
 * import batches read hundreds of megabytes a page. The batch that holds `since + limit` (or,
 * past expired entries, the next one) is then read alone to fill the page.
 */
export async function feedEntriesAfter(
  deps: Deps,
  tenantId: string,
  topic: string,
  since: number,
  limit: number,
  /** The counter, when the caller read it first: with no batch ending past the span, one Query does. */
  counter?: number,
): Promise<FeedEntryRecord[]> {
  const read = (after: string, through: string, Limit: number) =>
    queryPage<StoredFeedItem & { SK: string }>(deps, {
      ...sortKeyBetween(partitionOf(tenantId), `${after}\u0000`, through),
      Limit,
      ConsistentRead: true,
    });
  const start = keys.feedEntry(tenantId, topic, since).SK;
  const span = await read(start, keys.feedEntry(tenantId, topic, since + limit).SK, limit);
  const items = span.items;
  const beyondSpan = counter === undefined || counter > since + limit;
  if (beyondSpan && !span.lastKey && items.reduce((sum, item) => sum + changesAfter(item, since), 0) < limit) {
    // The batch holding `since + limit` (or, past expired entries, the next one) fills the page.
    const next = await read(items.at(-1)?.SK ?? start, `${keys.feedPrefix(topic)}\u{10FFFF}`, 1);
    items.push(...next.items);
  }
  return items
    .flatMap((item) =>
      item.type === "feedEntries"
        ? item.changes.map((change, offset) => entryOf(item.first + offset, item.time, change))
        : [entryOf(item.sequence, item.time, item)],
    )
    .filter((entry) => entry.sequence > since)
    .slice(0, limit);
}

function entryOf(sequence: number, time: string, { action, entity, id, data }: StoredChange): FeedEntryRecord {
  return { sequence, time, action, entity, id, ...(data ? { data } : {}) };
}

/** How many of an item's changes come after `since` (its key, the last sequence, is after it). */
function changesAfter(item: StoredFeedItem, since: number): number {
  return item.type === "feedEntries" ? item.sequence - Math.max(item.first, since + 1) + 1 : 1;
}
