import { sortName } from "../contacts/index-entries.js";
import type { Deps } from "../deps.js";
import { inputOf, type StoredContact, toContact } from "../entities/contact.js";
import {
  deletePersonalContactRecord,
  getPersonalContactRecord,
  listPersonalContactRecords,
  putNewPersonalContact,
  replacePersonalContact,
} from "../entities/personal-contact.js";
import { ConflictError, NotFoundError } from "../errors.js";
import { keys } from "../keys.js";
import type { Contact, ContactInput } from "../schemas/contacts.js";
import type { TenantCaller } from "./caller.js";
import { createCompanyContact, sortByName } from "./contacts.js";

// Personal contacts: one extension's own; a few thousand at most, listed with one Query. No
// search index and no change feed (only their owner sees them).

export async function listPersonalContacts(deps: Deps, caller: TenantCaller): Promise<Contact[]> {
  const items = await listPersonalContactRecords(deps, caller.tenantId, caller.extensionId);
  return sortByName(items.map(toContact));
}

export async function createPersonalContact(deps: Deps, caller: TenantCaller, input: ContactInput): Promise<Contact> {
  const id = deps.newId();
  const now = deps.now().toISOString();
  const item: StoredContact = {
    ...keys.personalContact(caller.tenantId, caller.extensionId, id),
    type: "personalContact",
    id,
    directory: "personal",
    ownerId: caller.extensionId,
    ...input,
    sortName: sortName(input),
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  await putNewPersonalContact(deps, item);
  return toContact(item);
}

async function getStoredPersonalContact(deps: Deps, caller: TenantCaller, contactId: string) {
  const contact = await getPersonalContactRecord(deps, caller.tenantId, caller.extensionId, contactId);
  if (!contact) throw new NotFoundError("Contact");
  return contact;
}

export async function getPersonalContact(deps: Deps, caller: TenantCaller, contactId: string) {
  return toContact(await getStoredPersonalContact(deps, caller, contactId));
}

export async function updatePersonalContact(
  deps: Deps,
  caller: TenantCaller,
  contactId: string,
  input: ContactInput,
  version: number,
): Promise<Contact> {
  const current = await getStoredPersonalContact(deps, caller, contactId);
  const next: StoredContact = {
    ...current,
    ...input,
    sortName: sortName(input),
    version: current.version + 1,
    updatedAt: deps.now().toISOString(),
  };
  await replacePersonalContact(
    deps,
    next,
    version,
    () => new ConflictError("version", "The contact was changed meanwhile", { current: toContact(current) }),
  );
  return toContact(next);
}

export async function deletePersonalContact(deps: Deps, caller: TenantCaller, contactId: string) {
  await deletePersonalContactRecord(
    deps,
    caller.tenantId,
    caller.extensionId,
    contactId,
    () => new NotFoundError("Contact"),
  );
}

/** "Add to Company Contacts": copies a personal contact into the directory. */
export async function sharePersonalContact(deps: Deps, caller: TenantCaller, contactId: string): Promise<Contact> {
  const personal = await getPersonalContact(deps, caller, contactId);
  return createCompanyContact(deps, caller.tenantId, inputOf(personal));
}
