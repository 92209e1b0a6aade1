import * as z from "zod";
import { entityId, text } from "./common.js";
import { contactNumber } from "./contacts.js";

/** Call logs, voicemails and recordings: per-extension records the contacts flows read (seed 001). */
export const RECORD_KINDS = ["call", "voicemail", "recording"] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

const party = { name: text(128).default(""), number: contactNumber };
const time = z.iso.datetime({ message: "must be an ISO 8601 date-time", offset: true });
const duration = z
  .number()
  .int("must be whole seconds")
  .min(0)
  .max(86_400 * 7);
/** Where the audio lives (an object key or URL); capturing audio is a later step. */
const audioLocation = z.string().trim().min(1, "is required").max(1024);

export const callLogInput = z.strictObject({
  kind: z.literal("call"),
  ...party,
  direction: z.enum(["inbound", "outbound", "internal"]),
  status: z.enum(["answered", "missed", "busy", "no_answer", "failed", "cancelled"]),
  startedAt: time,
  durationSeconds: duration.default(0),
});

export const voicemailInput = z.strictObject({
  kind: z.literal("voicemail"),
  ...party,
  receivedAt: time,
  durationSeconds: duration,
  read: z.boolean().default(false),
  audioLocation,
});

export const recordingInput = z.strictObject({
  kind: z.literal("recording"),
  ...party,
  direction: z.enum(["inbound", "outbound", "internal"]),
  recordedAt: time,
  durationSeconds: duration,
  audioLocation,
});

export const recordInput = z.discriminatedUnion("kind", [callLogInput, voicemailInput, recordingInput]);
export type RecordInput = z.output<typeof recordInput>;

export const storedRecord = z.object({
  id: entityId,
  kind: z.enum(RECORD_KINDS),
  name: z.string(),
  number: z.string(),
  direction: z.enum(["inbound", "outbound", "internal"]).optional(),
  status: z.string().optional(),
  startedAt: z.string().optional(),
  receivedAt: z.string().optional(),
  recordedAt: z.string().optional(),
  durationSeconds: z.number().int(),
  read: z.boolean().optional(),
  audioLocation: z.string().optional(),
});
export type StoredRecord = z.infer<typeof storedRecord>;

export const ingestParams = z.strictObject({ tenantId: entityId, extensionId: entityId });

export const recordParams = z.strictObject({ recordId: entityId });

/** Call Logs' Communication Type selector; Voicemails' Status selector; a name-or-number search. */
export const listRecordsQuery = z.strictObject({
  type: z.enum(["all", "inbound", "outbound", "internal", "missed"]).default("all"),
  status: z.enum(["all", "read", "unread"]).default("all"),
  search: z.string().trim().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
});

export const listRecordsResponse = z.object({ items: z.array(storedRecord), nextCursor: z.string().optional() });

export const markVoicemailBody = z.strictObject({ read: z.boolean() });
