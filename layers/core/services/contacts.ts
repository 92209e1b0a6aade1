import * as z from "zod";
import { contactIdOf, sortName, tokenPrefix } from "../contacts/index-entries.js";
import { digitsOf, nameKey } from "../contacts/normalize.js";
import { compareUtf8 } from "../contacts/sorted-tokens.js";
import type { Deps } from "../deps.js";
import {
  deleteCompanyContactWrites,
  getCompanyContactRecord,
  loadCompanyContactRecords,
  newCompanyContact,
  replaceCompanyContact,
  type StoredContact,
  toContact,
} from "../entities/contact.js";
import { companyContactIndex } from "../entities/contact-index.js";
import { ConflictError, NotFoundError } from "../errors.js";
import type { Contact, ContactInput } from "../schemas/contacts.js";
import { cursorCodec } from "../storage/cursor.js";
import { appendChanges, type Change } from "./change-feed.js";

/**
 * Company contacts (a tenant's shared directory, seed 001; personal contacts, one extension's
 * own, are in personal-contacts.ts and share the stored shape). Each change is written in one
 * transaction with its entry in the "contacts" change feed; the search index
 * (contacts/index-entries.ts) is held in memory and follows that feed (entities/contact-index.ts),
 * so the directory, the index and the feed Linkus clients follow never disagree.
 */
const changedMeanwhile = (current?: StoredContact) =>
  new ConflictError(
    "version",
    "The contact was changed by someone else",
    current ? { current: toContact(current) } : undefined,
  );

// ---------------------------------------------------------------------------------------------
// Company contacts

/** The writes that create one company contact (for single creates and imports). */
export function companyContactWrites(deps: Deps, tenantId: string, input: ContactInput, id = deps.newId()) {
  const { record, items, writes } = newCompanyContact(deps, tenantId, input, id, deps.now().toISOString());
  const contact = toContact(record);
  return { contact, items, writes, change: { action: "created", entity: "contact", id, data: contact } as Change };
}

/** The writes that replace a company contact's fields (and so its search tokens). */
export function companyContactUpdateWrites(deps: Deps, current: StoredContact, input: ContactInput) {
  const { record, writes } = replaceCompanyContact(deps, current, input, deps.now().toISOString(), () =>
    changedMeanwhile(current),
  );
  const contact = toContact(record);
  return { contact, writes, change: { action: "updated", entity: "contact", id: current.id, data: contact } as Change };
}

export async function createCompanyContact(deps: Deps, tenantId: string, input: ContactInput): Promise<Contact> {
  const { contact, writes, change } = companyContactWrites(deps, tenantId, input);
  await appendChanges(deps, tenantId, "contacts", [change], writes);
  return contact;
}

async function getStoredCompanyContact(deps: Deps, tenantId: string, contactId: string) {
  const contact = await getCompanyContactRecord(deps, tenantId, contactId);
  if (!contact) throw new NotFoundError("Contact");
  return contact;
}

export async function getCompanyContact(deps: Deps, tenantId: string, contactId: string): Promise<Contact> {
  return toContact(await getStoredCompanyContact(deps, tenantId, contactId));
}

/**
 * Replaces a company contact. The caller names the version they edited: two people editing
 * the same contact never silently overwrite each other (409 with the current contact).
 */
export async function updateCompanyContact(
  deps: Deps,
  tenantId: string,
  contactId: string,
  input: ContactInput,
  version: number,
): Promise<Contact> {
  const current = await getStoredCompanyContact(deps, tenantId, contactId);
  if (current.version !== version) throw changedMeanwhile(current);
  const { contact, writes, change } = companyContactUpdateWrites(deps, current, input);
  try {
    await appendChanges(deps, tenantId, "contacts", [change], writes);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // Lost a race after reading: answer with the winner's contact, not the one we read.
    throw new ConflictError("version", "The contact was changed by someone else", {
      current: await getCompanyContact(deps, tenantId, contactId),
    });
  }
  return contact;
}

export async function deleteCompanyContact(deps: Deps, tenantId: string, contactId: string, version?: number) {
  const current = await getStoredCompanyContact(deps, tenantId, contactId);
  if (version !== undefined && current.version !== version) throw changedMeanwhile(current);
  await appendChanges(
    deps,
    tenantId,
    "contacts",
    [{ action: "deleted", entity: "contact", id: contactId }],
    deleteCompanyContactWrites(deps, tenantId, current, () => changedMeanwhile()),
  );
}

/** Loads company contacts by id, in the order given (missing ones skipped). */
export async function loadCompanyContacts(
  deps: Deps,
  tenantId: string,
  ids: string[],
  options: { consistent?: boolean } = {},
): Promise<Contact[]> {
  const found = await loadCompanyContactRecords(deps, tenantId, ids, options);
  return ids.flatMap((id) => {
    const contact = found.get(id);
    return contact ? [toContact(contact)] : [];
  });
}

export interface SearchPage {
  items: Contact[];
  nextCursor?: string;
}

/**
 * Walks the index under one or more prefixes and returns up to `limit` contacts with the
 * position to continue from. A contact has several entries (each name word, the number read
 * forwards and backwards), so it could be met more than once: it is returned only at its
 * smallest entry that matches the search, which makes every page distinct from the others. The
 * index is in memory, so the walk reads nothing; the page's contacts are then one read.
 */
async function walkIndex(
  deps: Deps,
  tenantId: string,
  prefixes: string[],
  from: (string | null)[],
  limit: number,
): Promise<{ items: Contact[]; next: (string | null)[] | undefined }> {
  const index = await companyContactIndex(deps, tenantId);
  const positions = [...from];
  const ids: string[] = [];
  const taken = new Set<string>();
  while (ids.length < limit && positions.some((p) => p !== null)) {
    const wanted = limit - ids.length;
    // Consume each stream in order, stopping every stream at the page's last token it read.
    for (const [i, prefix] of prefixes.entries()) {
      if (positions[i] === null) continue;
      const page = index.page(prefix, positions[i] || undefined, wanted);
      for (const token of page.tokens) {
        positions[i] = token;
        const id = contactIdOf(token);
        if (taken.has(id) || firstMatchingToken(index.tokensOf(id) ?? [], prefixes) !== token) continue;
        taken.add(id);
        ids.push(id);
      }
      if (!page.more) positions[i] = null;
    }
  }
  // Read consistently: the index holds every change up to the counter, and an eventually
  // consistent read could still miss one (a phonebook stamped with that sequence would lack it).
  // A contact deleted since the index was read is left out (its page is one shorter).
  return {
    items: await loadCompanyContacts(deps, tenantId, ids, { consistent: true }),
    next: positions.some((p) => p !== null) ? positions : undefined,
  };
}

/** The smallest of a contact's tokens that falls under one of the prefixes (byte order, as the index sorts). */
function firstMatchingToken(tokens: readonly string[], prefixes: string[]): string | undefined {
  let first: string | undefined;
  for (const token of tokens) {
    if (!prefixes.some((prefix) => token.startsWith(prefix))) continue;
    if (first === undefined || compareUtf8(token, first) < 0) first = token;
  }
  return first;
}

export interface CompanySearch {
  q?: string;
  company?: string;
  limit: number;
  cursor?: string;
}

/**
 * Lists or searches company contacts. Without a query: sorted by name, with a cursor. With a
 * query of digits (and phone punctuation): numbers that start or end with those digits. Otherwise:
 * contacts with a name or company word starting with it; a page of results is sorted by name.
 */
export async function searchCompanyContacts(deps: Deps, tenantId: string, search: CompanySearch): Promise<SearchPage> {
  const q = search.q?.trim() ?? "";
  const digits = digitsOf(q);
  const isNumber = q !== "" && /^[0-9 ().+-]+$/.test(q) && digits.length > 0;
  const prefixes = isNumber
    ? [tokenPrefix("d", digits), tokenPrefix("r", [...digits].reverse().join(""))]
    : [
        q
          ? tokenPrefix("n", nameKey(q))
          : search.company
            ? tokenPrefix("c", nameKey(search.company))
            : tokenPrefix("s", ""),
      ];
  const cursors = await searchCursors(deps, tenantId, prefixes);
  const from = search.cursor ? cursors.open(search.cursor) : prefixes.map(() => "");
  const { items, next } = await walkIndex(deps, tenantId, prefixes, from, search.limit);
  const filtered =
    q && search.company ? items.filter((c) => nameKey(c.company).startsWith(nameKey(search.company ?? ""))) : items;
  const page = q ? sortByName(filtered) : filtered;
  return next ? { items: page, nextCursor: cursors.seal(next) } : { items: page };
}

/**
 * A search cursor: the last index entry read in each stream (null for a finished stream), each
 * inside its stream's prefix, sealed for this tenant and these prefixes.
 */
function searchCursors(deps: Deps, tenantId: string, prefixes: string[]) {
  const positions = z
    .array(z.string().nullable())
    .length(prefixes.length)
    .refine((list) =>
      list.every((position, i) => position === null || position === "" || position.startsWith(prefixes[i] ?? "\u0000")),
    );
  return cursorCodec(deps, ["company-contacts", tenantId, ...prefixes], positions);
}

/** The cursor of the company listing (name order) positioned just after this contact. */
export async function companyListCursorAfter(deps: Deps, tenantId: string, contact: Contact): Promise<string> {
  const sk = `${tokenPrefix("s", sortName(contact))}\u0001${contact.id}`;
  if (contactIdOf(sk) !== contact.id) throw new Error("index key layout changed");
  return (await searchCursors(deps, tenantId, [tokenPrefix("s", "")])).seal([sk]);
}

const collator = new Intl.Collator("en", { sensitivity: "base", numeric: true });

export function sortByName(contacts: Contact[]): Contact[] {
  return contacts.sort((a, b) => collator.compare(sortName(a), sortName(b)) || a.id.localeCompare(b.id));
}

/**
 * Every company contact, in name order, a page at a time (exports, phonebooks). Pages of 800: one
 * Query of index entries, then eight BatchGetItems side by side.
 */
export async function* allCompanyContacts(deps: Deps, tenantId: string, pageSize = 800): AsyncGenerator<Contact[]> {
  let positions: (string | null)[] | undefined = [""];
  while (positions) {
    const { items, next } = await walkIndex(deps, tenantId, [tokenPrefix("s", "")], positions, pageSize);
    if (items.length > 0) yield items;
    positions = next;
  }
}

/** Filters personal contacts the way company search works: name word prefix, or number digits. */
export function matchesQuery(contact: Contact, q: string): boolean {
  const digits = digitsOf(q);
  if (digits && /^[0-9 ().+-]+$/.test(q)) {
    return contact.numbers.some((n) => {
      const d = digitsOf(n.number);
      return d.startsWith(digits) || d.endsWith(digits);
    });
  }
  const needle = nameKey(q);
  const words = `${nameKey(contact.firstName)} ${nameKey(contact.lastName)} ${nameKey(contact.company)}`.split(" ");
  const full = [
    `${nameKey(contact.firstName)} ${nameKey(contact.lastName)}`,
    `${nameKey(contact.lastName)} ${nameKey(contact.firstName)}`,
  ];
  return [...words, ...full].some((word) => word.startsWith(needle));
}
