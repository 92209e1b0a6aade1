import { indexTokens, type TokenFields } from "../contacts/index-entries.js";
import { SortedTokens } from "../contacts/sorted-tokens.js";
import type { Deps } from "../deps.js";
import { keys } from "../keys.js";
import type { Contact } from "../schemas/contacts.js";
import { sortKeyBetween, sortKeyStartsWith } from "../storage/db.js";
import { isUlid, ulidCuts, ulidOfValue, ulidValue } from "../util/ulid-range.js";
import { feedCounter, feedEntriesAfter } from "./feed.js";
import { queryPage } from "./table.js";

/**
 * The company directory's search index, held in memory by each function that searches, exports or
 * imports (docs/decisions.md D-imports-4). It is the token list of contacts/index-entries.ts for
 * every contact, sorted as DynamoDB would sort them: a lookup that was a key-range Query of index
 * items is now a binary search, and a contact is one item to write.
 *
 * Each use first reads the contacts feed's counter (one strongly consistent GetItem). The feed's
 * entries are written in the same transaction as the contacts they describe and carry each
 * contact's data, so an index at sequence N is brought to the counter by applying the entries
 * after N, in order: a request sees every change committed before it began. A function that has
 * no index for the tenant, or is further behind than reading the tail is worth, reads every
 * contact item's names and numbers instead and then applies the feed from the counter it read first.
 */
export class ContactIndex {
  constructor(
    /** The contacts feed's sequence this index reflects. */
    public sequence: number,
    readonly tokens: SortedTokens,
    /** Each contact's tokens, so an update or a deletion knows exactly what to take out. */
    readonly byContact: Map<string, string[]>,
  ) {}

  /** Up to `limit` tokens under a prefix after an optional position: the page a key-range Query gave. */
  page(prefix: string, after: string | undefined, limit: number): { tokens: string[]; more: boolean } {
    const tokens = this.tokens.range(prefix, { after, limit: limit + 1 });
    return { tokens: tokens.slice(0, limit), more: tokens.length > limit };
  }

  /** Every token under a prefix (an import's match candidates: `k#`). */
  entries(prefix: string): string[] {
    return this.tokens.range(prefix, { limit: Number.POSITIVE_INFINITY });
  }

  /** The tokens a contact is indexed by (undefined when the index does not hold it). */
  tokensOf(contactId: string): readonly string[] | undefined {
    return this.byContact.get(contactId);
  }
}

/**
 * Tokens held for all tenants together (a 100,000-contact directory is about 1.26 million, 113 MiB
 * of heap in bench/contacts.ts): past it, the tenants used least recently are dropped and read
 * again if needed.
 */
const MAX_TOKENS = Number(process.env.CONTACT_INDEX_MAX_TOKENS ?? 4_000_000);
/**
 * Past this many feed entries behind, the contact items are read instead. A feed item holds up
 * to 400 of an import's changes (D-imports-5), so even a long tail is few reads; the bound is the
 * memory the changed contacts' tokens take until they are merged.
 */
const CATCH_UP_ENTRIES = 100_000;
const FEED_PAGE = 1_000;
/**
 * Contact items a page of a full load. DynamoDB Local reads up to a Query's Limit of items (without
 * one, all that follow) before it cuts the page at 1 MB: 100,000 contacts read in one chain took
 * 78 s without a Limit and 4.1 s with 1,000 (docs/benchmarks-contacts.md).
 */
const LOAD_PAGE = 1_000;
/** Key ranges a full load reads side by side. */
const LOAD_PARTS = 8;

/** Least recently used first (a Map keeps insertion order; a use re-inserts). */
const indexes = new Map<string, ContactIndex>();
const refreshes = new Map<string, Refresh>();

/**
 * The tenant's index as of now: it holds every change committed before the call. Refreshes of one
 * tenant run one at a time (two catch-ups applying overlapping tails out of order would put older
 * versions back); a call joins the running refresh only while that one has yet to read the
 * counter, and otherwise queues the next.
 */
export function companyContactIndex(deps: Deps, tenantId: string): Promise<ContactIndex> {
  const cacheKey = `${deps.config.tableName}\u0000${tenantId}`;
  const running = refreshes.get(cacheKey);
  if (running && !running.counterRead) return running.done;
  const refresh = { counterRead: false } as Refresh;
  const previous = running?.done.catch(() => undefined) ?? Promise.resolve();
  refresh.done = previous.then(() => refreshIndex(deps, tenantId, cacheKey, refresh));
  refreshes.set(cacheKey, refresh);
  const settled = () => {
    if (refreshes.get(cacheKey) === refresh) refreshes.delete(cacheKey);
  };
  refresh.done.then(settled, settled);
  return refresh.done;
}

interface Refresh {
  counterRead: boolean;
  done: Promise<ContactIndex>;
}

async function refreshIndex(deps: Deps, tenantId: string, cacheKey: string, refresh: Refresh): Promise<ContactIndex> {
  const sequence = await feedCounter(deps, tenantId, "contacts");
  refresh.counterRead = true;
  let index = indexes.get(cacheKey);
  // Ahead of the counter only if the table was replaced under us (local stacks, tests).
  if (index && index.sequence > sequence) index = undefined;
  if (index && index.sequence < sequence && !(await catchUp(deps, tenantId, index, sequence))) index = undefined;
  index ??= await loadIndex(deps, tenantId, sequence);
  indexes.delete(cacheKey);
  indexes.set(cacheKey, index);
  evictBeyondBudget(cacheKey);
  return index;
}

/** Drops every index this process holds (a cold function, for benches and tests). */
export function forgetContactIndexes(): void {
  indexes.clear();
}

function evictBeyondBudget(keep: string) {
  let total = 0;
  for (const index of indexes.values()) total += index.tokens.size;
  for (const [key, index] of indexes) {
    if (total <= MAX_TOKENS) break;
    if (key === keep) continue;
    indexes.delete(key);
    total -= index.tokens.size;
  }
}

/**
 * Applies the feed's entries after the index's sequence up to `target`. False when they cannot
 * bring it there (entries expired, or too many to be worth reading): the caller loads afresh.
 */
async function catchUp(deps: Deps, tenantId: string, index: ContactIndex, target: number): Promise<boolean> {
  if (target - index.sequence > CATCH_UP_ENTRIES) return false;
  // Each changed contact's tokens as of its last entry (null: deleted), swapped in with one merge.
  const latest = new Map<string, string[] | null>();
  for (let since = index.sequence; since < target; ) {
    const page = await feedEntriesAfter(deps, tenantId, "contacts", since, Math.min(FEED_PAGE, target - since), target);
    if (page.length === 0 || page[0]?.sequence !== since + 1) return false;
    for (const entry of page) {
      if (entry.sequence > target || entry.entity !== "contact") continue;
      const data = entry.action === "deleted" ? undefined : (entry.data as Contact | undefined);
      latest.set(entry.id, data ? indexTokens(data, entry.id) : null);
    }
    since = page.at(-1)?.sequence ?? target;
  }
  applyLatest(index, latest);
  index.sequence = target;
  return true;
}

function applyLatest(index: ContactIndex, latest: ReadonlyMap<string, string[] | null>) {
  const removed = new Set<string>();
  const added: string[] = [];
  for (const [id, tokens] of latest) {
    for (const token of index.byContact.get(id) ?? []) removed.add(token);
    if (tokens) {
      for (const token of tokens) {
        removed.delete(token);
        added.push(token);
      }
      index.byContact.set(id, tokens);
    } else {
      index.byContact.delete(id);
    }
  }
  index.tokens.replace(removed, added);
}

/**
 * A fresh index: every contact item's tokens (from its fields), then the feed from `sequence`
 * (read before the items) to the counter after them. Items already newer than an entry are set
 * again by the last entry for them, so replaying a change the items show is harmless; a change
 * the read missed is in the tail.
 */
async function loadIndex(deps: Deps, tenantId: string, sequence: number): Promise<ContactIndex> {
  const byContact = await readContactTokens(deps, tenantId);
  const all: string[] = [];
  for (const tokens of byContact.values()) for (const token of tokens) all.push(token);
  const index = new ContactIndex(sequence, SortedTokens.from(all), byContact);
  // When even the tail is beyond reach the index stays at `sequence`: the next use catches up.
  const now = await feedCounter(deps, tenantId, "contacts");
  if (now > sequence) await catchUp(deps, tenantId, index, now);
  return index;
}

/**
 * Every company contact's id and tokens (from the fields they come from). The partition is cut by
 * id into LOAD_PARTS key ranges between its lowest and highest id (ids are ULIDs), read side by
 * side in pages of LOAD_PAGE, each page a fresh key range after the last key read; a reader whose
 * range is done takes over the rest of the densest range still being read (splitBusiest), so the
 * parts that hold most contacts (an import's minute) are shared. Ranges meet at their bounds, so a
 * contact on one is read twice: the map keeps it once.
 */
async function readContactTokens(deps: Deps, tenantId: string): Promise<Map<string, string[]>> {
  const byContact = new Map<string, string[]>();
  const { PK, SK: base } = keys.companyContact(tenantId, "");
  const end = `${base}\u{10FFFF}`;
  const edge = async (forward: boolean) => {
    const page = await queryPage<{ id: string }>(deps, {
      ...sortKeyStartsWith(PK, base),
      ProjectionExpression: "id",
      ScanIndexForward: forward,
      Limit: 1,
      ConsistentRead: true,
    });
    return page.items[0]?.id;
  };
  const [lowest, highest] = await Promise.all([edge(true), edge(false)]);
  if (lowest === undefined || highest === undefined) return byContact;
  const bounds = [base, ...ulidCuts(lowest, highest, LOAD_PARTS).map((id) => base + id), end];
  const waiting: KeyRange[] = bounds.slice(1).map((to, i) => ({ from: bounds[i] as string, to }));
  const reading = new Set<KeyRange>();

  // After one reader fails the others stop at their next page, rather than load a failing table.
  let failed = false;
  const read = async (range: KeyRange) => {
    reading.add(range);
    try {
      while (!failed) {
        const page = await queryPage<TokenFields & { SK: string; id: string }>(deps, {
          ...sortKeyBetween(PK, range.from, range.to),
          ProjectionExpression: "SK, id, firstName, lastName, company, #numbers",
          ExpressionAttributeNames: { "#numbers": "numbers" },
          Limit: LOAD_PAGE,
          // The feed is replayed only after the counter read first: a change up to it must be in
          // what is read here, or the index would miss it until the contact changes again.
          ConsistentRead: true,
        });
        for (const item of page.items) byContact.set(item.id, indexTokens(item, item.id));
        // How dense the range is where it is being read: the second half of the page, so one
        // old contact before an import's minute does not make the minute look sparse.
        if (page.items.length >= LOAD_PAGE) {
          range.density = {
            from: page.items[page.items.length >> 1]?.id ?? "",
            to: page.items.at(-1)?.id ?? "",
            count: page.items.length - (page.items.length >> 1),
          };
        }
        const last = page.items.at(-1);
        // Done, or its upper half was taken by another reader while this page was read.
        if (!page.lastKey || !last || last.SK >= range.to) return;
        range.from = `${last.SK}\u0000`;
        signal();
      }
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      reading.delete(range);
      signal();
    }
  };
  // An idle reader waits for the next page read anywhere: it may show a range worth halving.
  let pageRead = () => {};
  let nextPage = new Promise<void>((resolve) => (pageRead = resolve));
  const signal = () => {
    const resolve = pageRead;
    nextPage = new Promise<void>((next) => (pageRead = next));
    resolve();
  };
  const reader = async () => {
    while (!failed) {
      const range = waiting.shift() ?? splitBusiest(reading, base, highest);
      if (range) await read(range);
      else if (reading.size === 0) return;
      else await nextPage;
    }
  };
  await Promise.all(Array.from({ length: LOAD_PARTS }, reader));
  return byContact;
}

interface KeyRange {
  from: string;
  to: string;
  /** Ids and count of the second half of its last full page: how dense the rest likely is. */
  density?: { from: string; to: string; count: number };
}

/**
 * The rest of the range being read with the most contacts likely left (by the density of its last
 * full page), beyond the next few pages' worth, now a range of its own; undefined when no range
 * likely holds more than a page. A reader of an import's dense minute keeps about four pages and
 * hands on the rest, which may be dense or empty: either way it is quickly read or cut again.
 */
function splitBusiest(reading: Set<KeyRange>, base: string, highest: string): KeyRange | undefined {
  let best: { range: KeyRange; cut: bigint; left: number } | undefined;
  for (const range of reading) {
    const low = range.from.slice(base.length, base.length + 26);
    const high = range.to.slice(base.length);
    // The last range runs to the partition's end: cut it below the highest id found at the start.
    const top = isUlid(high) ? high : highest;
    const density = range.density;
    if (!isUlid(low) || !isUlid(top) || !density || !isUlid(density.from) || !isUlid(density.to)) continue;
    const [lowValue, topValue] = [ulidValue(low), ulidValue(top)];
    const pageWidth = 2n * (ulidValue(density.to) - ulidValue(density.from)) + 1n;
    const left = (LOAD_PAGE * Number(topValue - lowValue)) / Number(pageWidth);
    const cut = lowValue + [(topValue - lowValue) / 2n, 4n * pageWidth].reduce((a, b) => (a < b ? a : b));
    if (left > LOAD_PAGE && cut > lowValue && cut < topValue && (!best || left > best.left))
      best = { range, cut, left };
  }
  if (!best) return undefined;
  const upper: KeyRange = { from: base + ulidOfValue(best.cut), to: best.range.to };
  best.range.to = upper.from;
  return upper;
}
