import * as z from "zod";
import { sortName } from "../contacts/index-entries.js";
import { digitsOf } from "../contacts/normalize.js";
import type { Deps } from "../deps.js";
import { inputOf } from "../entities/contact.js";
import { ForbiddenError, ValidationError } from "../errors.js";
import { parsePart } from "../http/validate.js";
import type { RecordKind } from "../schemas/communications.js";
import type { AddFromRecordInput, Contact, contactInput, listContactsQuery } from "../schemas/contacts.js";
import { contactInput as contactInputSchema } from "../schemas/contacts.js";
import { cursorCodec } from "../storage/cursor.js";
import type { TenantCaller } from "./caller.js";
import { getOwnRecord } from "./communications.js";
import {
  companyListCursorAfter,
  createCompanyContact,
  getCompanyContact,
  matchesQuery,
  searchCompanyContacts,
  updateCompanyContact,
} from "./contacts.js";
import { callerPermissions } from "./linkus-permissions.js";
import {
  createPersonalContact,
  getPersonalContact,
  listPersonalContacts,
  updatePersonalContact,
} from "./personal-contacts.js";

/**
 * The Contacts page of a Linkus client: the Directory selector (company, personal, all) over
 * the two stores, with the caller's access applied: company contacts need view access
 * (role or Company Contacts rule), personal ones the view_personal_contacts operation.
 */
export async function listContacts(deps: Deps, caller: TenantCaller, query: z.output<typeof listContactsQuery>) {
  const access = await callerPermissions(deps, caller);
  const canCompany = access.companyContacts !== "none";
  const canPersonal = access.operations.view_personal_contacts;
  if (query.directory === "company" && !canCompany) {
    throw new ForbiddenError("You cannot view company contacts", { permission: "company_contacts.view" });
  }
  if (query.directory === "personal" && !canPersonal) {
    throw new ForbiddenError("You are not allowed to view personal contacts", {
      permission: "operation.view_personal_contacts",
    });
  }
  const cursors = await cursorCodec(
    deps,
    ["directory", caller.tenantId, caller.extensionId, query.directory, query.q ?? "", query.company ?? ""],
    directoryPosition,
  );
  const cursor: DirectoryCursor = query.cursor ? cursors.open(query.cursor) : {};
  const page = (items: Contact[], next: DirectoryCursor | undefined) =>
    next ? { items, nextCursor: cursors.seal(next) } : { items };
  const wantsCompany = query.directory !== "personal" && canCompany;
  const wantsPersonal = query.directory !== "company" && canPersonal;

  const company =
    wantsCompany && cursor.c !== null
      ? await searchCompanyContacts(deps, caller.tenantId, {
          q: query.q,
          company: query.company,
          limit: query.limit,
          cursor: cursor.c,
        })
      : { items: [] as Contact[], nextCursor: undefined };
  if (!wantsPersonal) return page(company.items, company.nextCursor ? { c: company.nextCursor, p: null } : undefined);

  const personal = (await listPersonalContacts(deps, caller))
    .sort(byPosition)
    .filter((contact) => !query.q || matchesQuery(contact, query.q))
    .filter((contact) => !query.company || contact.company.toLowerCase().startsWith(query.company.toLowerCase()))
    .filter((contact) => cursor.p === undefined || (cursor.p !== null && positionOf(contact) > cursor.p));
  if (!wantsCompany) {
    const items = personal.slice(0, query.limit);
    const last = items.at(-1);
    return page(items, personal.length > query.limit && last ? { c: null, p: positionOf(last) } : undefined);
  }

  // Both, searching: company matches page by their own cursor; the (few) personal matches come
  // on the first page.
  if (query.q || query.company) {
    const items = [...company.items, ...(cursor.p === undefined ? personal : [])].sort(byPosition);
    return page(items, company.nextCursor ? { c: company.nextCursor, p: null } : undefined);
  }

  // Both, listing: merge the two name-ordered streams and take a page; each cursor moves by what was used.
  const merged = [...company.items, ...personal].sort(byPosition);
  const items = merged.slice(0, query.limit);
  const lastCompany = items.filter((c) => c.directory === "company").at(-1);
  const lastPersonal = items.filter((c) => c.directory === "personal").at(-1);
  const companyLeft = Boolean(company.nextCursor) || company.items.some((c) => !items.includes(c));
  const personalLeft = personal.some((c) => !items.includes(c));
  if (!companyLeft && !personalLeft) return page(items, undefined);
  const c = companyLeft
    ? lastCompany
      ? await companyListCursorAfter(deps, caller.tenantId, lastCompany)
      : (cursor.c ?? undefined)
    : null;
  const p = personalLeft ? (lastPersonal ? positionOf(lastPersonal) : cursor.p) : null;
  return page(items, { c, p });
}

/** Index order (code units, as DynamoDB orders the company index), so merges and cursors agree. */
function byPosition(a: Contact, b: Contact): number {
  const x = positionOf(a);
  const y = positionOf(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Where a contact sits in name order: its sort name, then its id. */
function positionOf(contact: Contact): string {
  return `${sortName(contact)}\u0001${contact.id}`;
}

/**
 * Where a Contacts page stopped: the company search cursor (null when that side is exhausted)
 * and the last personal position returned (null when exhausted).
 */
const directoryPosition = z.strictObject({
  c: z.string().nullable().optional(),
  p: z.string().nullable().optional(),
});
type DirectoryCursor = z.output<typeof directoryPosition>;

/**
 * "Add New Contact" and "Add to Existing Contact" from a call log, voicemail or recording:
 * one function for every source. The record's number goes in as the chosen type (Business by
 * default); an existing contact that already has that number is left as it is.
 */
export async function addFromRecord(
  deps: Deps,
  caller: TenantCaller,
  kind: RecordKind,
  recordId: string,
  input: AddFromRecordInput,
): Promise<Contact> {
  const record = await getOwnRecord(deps, caller, kind, recordId);
  const entry = { type: input.numberType, number: record.number };
  const access = await callerPermissions(deps, caller);
  if (input.directory === "company" && access.companyContacts !== "manage") {
    throw new ForbiddenError("You cannot manage company contacts", { permission: "company_contacts.manage" });
  }
  if (input.directory === "personal" && !access.operations.edit_personal_contacts) {
    throw new ForbiddenError("You are not allowed to edit personal contacts", {
      permission: "operation.edit_personal_contacts",
    });
  }
  if (input.mode === "new") {
    const contact: z.output<typeof contactInput> = parsePart(
      contactInputSchema,
      { ...input.contact, numbers: [entry] },
      "body",
    );
    return input.directory === "company"
      ? createCompanyContact(deps, caller.tenantId, contact)
      : createPersonalContact(deps, caller, contact);
  }
  const existing =
    input.directory === "company"
      ? await getCompanyContact(deps, caller.tenantId, input.contactId)
      : await getPersonalContact(deps, caller, input.contactId);
  if (existing.numbers.some((n) => digitsOf(n.number) === digitsOf(entry.number))) return existing;
  if (existing.numbers.length >= 20) throw ValidationError.one("contactId", "the contact already has 20 numbers");
  const next = { ...inputOf(existing), numbers: [...existing.numbers, entry] };
  const version = input.version ?? existing.version;
  return input.directory === "company"
    ? updateCompanyContact(deps, caller.tenantId, existing.id, next, version)
    : updatePersonalContact(deps, caller, existing.id, next, version);
}
