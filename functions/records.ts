import { createGroupHandler } from "#core/http/handler";
import { recordsRoutes } from "#core/routes/records";
import { deleteOwnRecord, ingestRecord, listRecords, markVoicemail } from "#core/services/communications";
import { addFromRecord } from "#core/services/directory";

export const handler = createGroupHandler(recordsRoutes, {
  "callLogs.list": ({ query }, { deps, caller }) => listRecords(deps, caller, "call", query),
  "callLogs.delete": ({ params }, { deps, caller }) => deleteOwnRecord(deps, caller, "call", params.recordId),
  "callLogs.addToContacts": ({ params, body }, { deps, caller }) =>
    addFromRecord(deps, caller, "call", params.recordId, body),
  "voicemails.list": ({ query }, { deps, caller }) => listRecords(deps, caller, "voicemail", query),
  "voicemails.delete": ({ params }, { deps, caller }) => deleteOwnRecord(deps, caller, "voicemail", params.recordId),
  "voicemails.addToContacts": ({ params, body }, { deps, caller }) =>
    addFromRecord(deps, caller, "voicemail", params.recordId, body),
  "voicemails.mark": ({ params, body }, { deps, caller }) => markVoicemail(deps, caller, params.recordId, body.read),
  "recordings.list": ({ query }, { deps, caller }) => listRecords(deps, caller, "recording", query),
  "recordings.delete": ({ params }, { deps, caller }) => deleteOwnRecord(deps, caller, "recording", params.recordId),
  "recordings.addToContacts": ({ params, body }, { deps, caller }) =>
    addFromRecord(deps, caller, "recording", params.recordId, body),
  "records.ingest": ({ params, body }, { deps }) => ingestRecord(deps, params.tenantId, params.extensionId, body),
});
