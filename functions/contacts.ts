import { provideMultipartReader } from "#core/http/file-body";
import { createGroupHandler } from "#core/http/handler";
import { readMultipart } from "#core/http/multipart";
import { contactsRoutes } from "#core/routes/contacts";
import { readChanges } from "#core/services/change-feed";
import { exportContacts, phonebookInfo, rotatePhonebookToken, servePhonebook } from "#core/services/contact-files";
import { getImportJob, startImport } from "#core/services/contact-import";
import {
  createCompanyContact,
  deleteCompanyContact,
  getCompanyContact,
  updateCompanyContact,
} from "#core/services/contacts";
import { listContacts } from "#core/services/directory";
import {
  createPersonalContact,
  deletePersonalContact,
  getPersonalContact,
  listPersonalContacts,
  sharePersonalContact,
  updatePersonalContact,
} from "#core/services/personal-contacts";

// Imports take browser uploads; no other function bundles the multipart parser.
provideMultipartReader(readMultipart);

export const handler = createGroupHandler(contactsRoutes, {
  "contacts.list": ({ query }, { deps, caller }) => listContacts(deps, caller, query),
  "companyContacts.create": ({ body }, { deps, caller }) => createCompanyContact(deps, caller.tenantId, body),
  "companyContacts.get": ({ params }, { deps, caller }) => getCompanyContact(deps, caller.tenantId, params.contactId),
  "companyContacts.update": ({ params, body: { version, ...contact } }, { deps, caller }) =>
    updateCompanyContact(deps, caller.tenantId, params.contactId, contact, version),
  "companyContacts.delete": ({ params, query }, { deps, caller }) =>
    deleteCompanyContact(deps, caller.tenantId, params.contactId, query.version),
  "companyContacts.changes": ({ query }, { deps, caller }) =>
    readChanges(deps, caller.tenantId, "contacts", query.since, query.limit),
  "companyContacts.import": ({ body }, { deps, caller }) => startImport(deps, caller.tenantId, body),
  "companyContacts.importStatus": ({ params }, { deps, caller }) => getImportJob(deps, caller.tenantId, params.jobId),
  "companyContacts.export": ({ query }, { deps, caller }) => exportContacts(deps, caller.tenantId, query),
  "phonebook.info": (_input, { deps, caller }) => phonebookInfo(deps, caller.tenantId, caller.tenantSlug),
  "phonebook.rotateToken": (_input, { deps, caller }) => rotatePhonebookToken(deps, caller.tenantId, caller.tenantSlug),
  "phonebook.serve": ({ params, query }, { deps, headers }) =>
    servePhonebook(deps, params.server, params.file, query.token, headers),
  "personalContacts.list": async (_input, { deps, caller }) => ({ items: await listPersonalContacts(deps, caller) }),
  "personalContacts.create": ({ body }, { deps, caller }) => createPersonalContact(deps, caller, body),
  "personalContacts.get": ({ params }, { deps, caller }) => getPersonalContact(deps, caller, params.contactId),
  "personalContacts.update": ({ params, body: { version, ...contact } }, { deps, caller }) =>
    updatePersonalContact(deps, caller, params.contactId, contact, version),
  "personalContacts.delete": ({ params }, { deps, caller }) => deletePersonalContact(deps, caller, params.contactId),
  "personalContacts.share": ({ params }, { deps, caller }) => sharePersonalContact(deps, caller, params.contactId),
});
