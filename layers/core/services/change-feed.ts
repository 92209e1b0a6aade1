import type { Deps } from "../deps.js";
import { advanceFeedCounter, feedCounter, feedEntriesAfter, putFeedEntries } from "../entities/feed.js";
import { DomainError, ValidationError } from "../errors.js";
import { type GuardedItem, transactWrite } from "../storage/db.js";

/**
 * Ordered change feeds per tenant and topic ("permissions", "contacts"), for Linkus clients and
 * the 8111 listener to follow with a cursor.
 *
 * Each batch of changes takes the next sequence numbers from a counter item *in the same
 * transaction* as the writes it describes, conditioned on the counter's value just read. So
 * sequence numbers are gap-free and a change becomes visible exactly when its data does: a
 * reader that has seen sequence N has seen every change up to N. Concurrent writers to the
 * same feed retry (bounded); feeds see human-rate edits, and bulk imports write many changes
 * per transaction.
 */
export type FeedTopic = "permissions" | "contacts";

export interface Change {
  action: "created" | "updated" | "deleted";
  entity: string;
  id: string;
  data?: Record<string, unknown>;
}

export interface FeedEntry extends Change {
  sequence: number;
  time: string;
}

/** Changes stay readable this long; a client further behind resynchronises from scratch. */
export const FEED_RETENTION_DAYS = 30;
/** A batch's changes are one item, which DynamoDB caps at 400 KB (names and values counted). */
export const MAX_BATCH_BYTES = 300_000;
const MAX_ATTEMPTS = 8;

/** Whether an append lost every retry to other writers of the feed (it may be tried again). */
export function isFeedContention(error: unknown): boolean {
  return error instanceof CounterMoved;
}

/** Whether an append was refused for carrying more than MAX_BATCH_BYTES (a smaller batch fits). */
export function isBatchTooLarge(error: unknown): boolean {
  return error instanceof BatchTooLarge;
}

class BatchTooLarge extends Error {
  override readonly name = "BatchTooLarge";
}

class CounterMoved extends DomainError {
  override readonly name = "CounterMoved";

  constructor() {
    super(409, "conflict", "The change feed moved on; retrying");
  }
}

export async function appendChanges(
  deps: Deps,
  tenantId: string,
  topic: FeedTopic,
  changes: Change[],
  writes: GuardedItem[],
): Promise<number> {
  return appendBuiltChanges(deps, tenantId, topic, async () => ({ changes, writes }));
}

/**
 * The same, with the batch built after the counter is read, on every attempt. The bulk import
 * writes contacts first and announces them here, reading them back inside `build`: any edit
 * committed after that read moves the counter and fails this transaction, so an entry never
 * carries older data than an entry before it (docs/decisions.md D-imports-1).
 */
export async function appendBuiltChanges(
  deps: Deps,
  tenantId: string,
  topic: FeedTopic,
  build: () => Promise<{ changes: Change[]; writes: GuardedItem[] }>,
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const current = await feedCounter(deps, tenantId, topic);
    const { changes, writes } = await build();
    if (writes.length + 2 > 100) throw new Error("A change batch must fit one transaction (100 items)");
    if (Buffer.byteLength(JSON.stringify(changes)) > MAX_BATCH_BYTES)
      throw new BatchTooLarge("A change batch must fit one item");
    const now = deps.now();
    const batch = {
      first: current + 1,
      time: now.toISOString(),
      changes,
      expiresAt: Math.floor(now.getTime() / 1000) + FEED_RETENTION_DAYS * 86400,
    };
    try {
      await transactWrite(deps.db, [
        ...writes,
        advanceFeedCounter(deps, tenantId, topic, current, current + changes.length, () => new CounterMoved()),
        ...(changes.length > 0 ? [putFeedEntries(deps, tenantId, topic, batch)] : []),
      ]);
      return current + changes.length;
    } catch (error) {
      if (!(error instanceof CounterMoved) || attempt >= MAX_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 15 * attempt));
    }
  }
}

/**
 * Changes after `since`, oldest first, at most `limit`; `latest` is the feed's current sequence.
 * The counter is read before the entries, not beside them: read in parallel, a change committed
 * between the two reads would show in the counter but not in the entries, which looks exactly
 * like expired entries and sent every client a false `resync`.
 */
export async function readChanges(deps: Deps, tenantId: string, topic: FeedTopic, since: number, limit: number) {
  const counter = await feedCounter(deps, tenantId, topic);
  const items = await feedEntriesAfter(deps, tenantId, topic, since, limit, counter);
  const oldest = items[0]?.sequence;
  // Entries committed after the counter was read may be in the page: latest is never behind them.
  const latest = Math.max(counter, items.at(-1)?.sequence ?? 0);
  if (since > latest) throw ValidationError.one("since", "is ahead of this feed", "query");
  return {
    // Entries as the entity expands them: exactly the fields a client receives.
    changes: items as FeedEntry[],
    latest,
    // Entries before the oldest still kept have expired: the client must start over.
    resyncRequired: since < latest && (oldest === undefined || oldest > since + 1),
  };
}

/** The newest sequence of a feed (0 when it has none): what caches of the feed's data key on. */
export async function feedSequence(deps: Deps, tenantId: string, topic: FeedTopic): Promise<number> {
  return feedCounter(deps, tenantId, topic);
}
