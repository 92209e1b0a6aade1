/**
 * Call logs, voicemails, recordings (per extension). The routes the records function serves;
 * ../routes.ts joins every group's routes into the one route table.
 */
import { defineRoute, defineRoutes, platform, tenantRoute } from "../http/contract.js";
import {
  ingestParams,
  listRecordsQuery,
  listRecordsResponse,
  markVoicemailBody,
  recordInput,
  recordParams,
  storedRecord,
} from "../schemas/communications.js";
import { addFromRecordBody, contact } from "../schemas/contacts.js";

export const recordsRoutes = defineRoutes("records", {
  "callLogs.list": recordList("call-logs", "call_logs", "Call logs"),
  "callLogs.delete": recordDelete("call-logs", "call_logs", "call logs"),
  "callLogs.addToContacts": recordAddToContacts("call-logs", "call_logs"),
  "voicemails.list": recordList("voicemails", "voicemails", "Voicemails"),
  "voicemails.delete": recordDelete("voicemails", "voicemails", "voicemails"),
  "voicemails.addToContacts": recordAddToContacts("voicemails", "voicemails"),
  "recordings.list": recordList("recordings", "recordings", "Recordings"),
  "recordings.delete": recordDelete("recordings", "recordings", "recordings"),
  "recordings.addToContacts": recordAddToContacts("recordings", "recordings"),
  "voicemails.mark": defineRoute({
    method: "PATCH",
    path: "/api/v1/me/voicemails/{recordId}",
    auth: tenantRoute(),
    linkus: { menu: "voicemails" },
    summary: "Mark a voicemail read or unread",
    params: recordParams,
    body: markVoicemailBody,
    response: storedRecord,
    successStatus: 200,
  }),
  "records.ingest": defineRoute({
    method: "POST",
    path: "/api/v1/platform/tenants/{tenantId}/extensions/{extensionId}/records",
    auth: platform,
    summary: "Internal ingest of a call log, voicemail or recording for an extension",
    params: ingestParams,
    body: recordInput,
    response: storedRecord,
    successStatus: 201,
  }),
});

/** The list, delete and add-to-contacts routes of each kind of record share their shape. */
type RecordMenu = "call_logs" | "voicemails" | "recordings";

function recordList(segment: string, menu: RecordMenu, title: string) {
  return defineRoute({
    method: "GET",
    path: `/api/v1/me/${segment}`,
    auth: tenantRoute(),
    linkus: { menu },
    summary: `${title}: yours, newest first, filtered and searched by name or number`,
    query: listRecordsQuery,
    response: listRecordsResponse,
    successStatus: 200,
  });
}

function recordDelete(segment: string, menu: RecordMenu, title: string) {
  return defineRoute({
    method: "DELETE",
    path: `/api/v1/me/${segment}/{recordId}`,
    auth: tenantRoute(),
    linkus: { menu },
    summary: `Delete one of your ${title}`,
    params: recordParams,
    successStatus: 204,
  });
}

function recordAddToContacts(segment: string, menu: RecordMenu) {
  return defineRoute({
    method: "POST",
    path: `/api/v1/me/${segment}/{recordId}/add-to-contacts`,
    auth: tenantRoute(),
    linkus: { menu },
    summary: "Add New Contact or Add to Existing Contact with this record's number",
    params: recordParams,
    body: addFromRecordBody,
    response: contact,
    successStatus: 201,
  });
}
