/**
 * Call logs, voicemails, recordings (per extension). The routes the records function serves;
 * ../routes.ts joins every group's routes into the one route table.
 */
import { defineRoute, platform, tenantRoute } from "../http/contract.js";
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

export const recordsRoutes = {
  "callLogs.list": recordList("callLogs.list", "call-logs", "call_logs", "Call logs"),
  "callLogs.delete": recordDelete("callLogs.delete", "call-logs", "call_logs", "call logs"),
  "callLogs.addToContacts": recordAddToContacts("callLogs.addToContacts", "call-logs", "call_logs"),
  "voicemails.list": recordList("voicemails.list", "voicemails", "voicemails", "Voicemails"),
  "voicemails.delete": recordDelete("voicemails.delete", "voicemails", "voicemails", "voicemails"),
  "voicemails.addToContacts": recordAddToContacts("voicemails.addToContacts", "voicemails", "voicemails"),
  "recordings.list": recordList("recordings.list", "recordings", "recordings", "Recordings"),
  "recordings.delete": recordDelete("recordings.delete", "recordings", "recordings", "recordings"),
  "recordings.addToContacts": recordAddToContacts("recordings.addToContacts", "recordings", "recordings"),
  "voicemails.mark": defineRoute({
    id: "voicemails.mark",
    group: "records",
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
    id: "records.ingest",
    group: "records",
    method: "POST",
    path: "/api/v1/platform/tenants/{tenantId}/extensions/{extensionId}/records",
    auth: platform,
    summary: "Internal ingest of a call log, voicemail or recording for an extension",
    params: ingestParams,
    body: recordInput,
    response: storedRecord,
    successStatus: 201,
  }),
} as const;

/** The list, delete and add-to-contacts routes of each kind of record share their shape. */
type RecordMenu = "call_logs" | "voicemails" | "recordings";

function recordList(id: string, segment: string, menu: RecordMenu, title: string) {
  return defineRoute({
    id,
    group: "records",
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

function recordDelete(id: string, segment: string, menu: RecordMenu, title: string) {
  return defineRoute({
    id,
    group: "records",
    method: "DELETE",
    path: `/api/v1/me/${segment}/{recordId}`,
    auth: tenantRoute(),
    linkus: { menu },
    summary: `Delete one of your ${title}`,
    params: recordParams,
    successStatus: 204,
  });
}

function recordAddToContacts(id: string, segment: string, menu: RecordMenu) {
  return defineRoute({
    id,
    group: "records",
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
