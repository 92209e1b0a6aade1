import type { Deps } from "../deps.js";
import type { DomainError } from "../errors.js";
import { keys, partitionOf } from "../keys.js";
import type { GuardedItem } from "../storage/db.js";
import { getItem, queryPage } from "./table.js";

/**
 * A change feed of one tenant and topic: its counter (`FEEDSEQ#<topic>`, the last sequence
 * handed out) and one entry per change (`FEED#<topic>#<sequence, 12 digits>`, TTL'd).
 */
export interface FeedEntryRecord {
  PK: string;
  SK: string;
  type: "feedEntry";
  topic: string;
  sequence: number;
  time: string;
  action: string;
  entity: string;
  id: string;
  data?: Record<string, unknown>;
  expiresAt: number;
}

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

export function putFeedEntry(deps: Deps, entry: FeedEntryRecord): GuardedItem {
  return { item: { Put: { TableName: deps.config.tableName, Item: entry } } };
}

/** Entries after `since`, oldest first, at most `limit` (strongly consistent). */
export async function feedEntriesAfter(
  deps: Deps,
  tenantId: string,
  topic: string,
  since: number,
  limit: number,
): Promise<FeedEntryRecord[]> {
  const page = await queryPage<FeedEntryRecord>(deps, {
    KeyConditionExpression: "PK = :pk AND SK > :after",
    ExpressionAttributeValues: { ":pk": partitionOf(tenantId), ":after": keys.feedEntry(tenantId, topic, since).SK },
    Limit: limit,
    ConsistentRead: true,
  });
  const prefix = keys.feedPrefix(topic);
  return page.items.filter((item) => String(item.SK).startsWith(prefix));
}
