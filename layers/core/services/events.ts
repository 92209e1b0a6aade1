import { encodeTime } from "ulid";
import type * as z from "zod";
import type { Deps } from "../deps.js";
import { type EventRecord, eventPage, putEvent } from "../entities/event.js";
import { type ExtensionRecord, extensionEmails } from "../entities/extension.js";
import { putOutboxItem } from "../entities/outbox.js";
import { EVENTS, type EventType } from "../events/catalog.js";
import { escapeHtml, renderTemplate } from "../events/template.js";
import { keys } from "../keys.js";
import type { listEventsQuery } from "../schemas/events.js";
import { cursorCodec, tableKeyIn } from "../storage/cursor.js";
import { type GuardedItem, transactWrite } from "../storage/db.js";
import { listNotificationContacts, notificationSettingFor, outboxItem } from "./notifications.js";

export type { EventRecord };

export interface EventInput {
  event: EventType;
  extension?: Pick<ExtensionRecord, "id" | "number" | "firstName" | "lastName">;
  sourceIp?: string;
  client?: string;
  details: string;
}

const CLIENT_NAMES: Record<string, string> = {
  web: "Web Client",
  linkus_mobile: "Mobile Client",
  linkus_desktop: "Desktop Client",
};

/** Recipients per event are bounded so one event is one DynamoDB transaction. */
const MAX_RECIPIENTS = 50;

/**
 * Records one event in the tenant's event log and, when its notification is on, queues one
 * email per notification contact whose levels include the event's level: all in a single
 * transaction, so an event is never logged without its notifications or the other way round.
 * Sending happens later, in the notifier (services/notifications.ts), never on this path.
 */
export async function recordEvent(deps: Deps, tenant: { id: string; name: string }, input: EventInput) {
  const definition = EVENTS[input.event];
  const setting = await notificationSettingFor(deps, tenant.id, input.event);
  const now = deps.now();
  const id = deps.newId();
  const record: EventRecord = {
    id,
    event: input.event,
    name: definition.name,
    category: definition.category,
    level: setting.level,
    time: now.toISOString(),
    ...(input.extension ? { extensionId: input.extension.id, extensionNumber: input.extension.number } : {}),
    ...(input.sourceIp ? { sourceIp: input.sourceIp } : {}),
    ...(input.client ? { client: input.client } : {}),
    details: input.details,
  };
  const items: GuardedItem[] = [
    putEvent(deps, tenant.id, record, Math.floor(now.getTime() / 1000) + deps.config.eventRetentionDays * 86400),
  ];

  if (setting.enabled && setting.methods.includes("email")) {
    const values = {
      event_name: definition.name,
      event_level: capitalise(setting.level),
      event_category: capitalise(definition.category),
      event_time: record.time,
      extension: input.extension?.number ?? "",
      extension_name: input.extension ? `${input.extension.firstName} ${input.extension.lastName}`.trim() : "",
      source_ip: input.sourceIp ?? "",
      client: input.client ? (CLIENT_NAMES[input.client] ?? input.client) : "",
      details: input.details,
      pbx_name: tenant.name,
    };
    const subject = renderTemplate(setting.template.subject, values);
    const text = renderTemplate(setting.template.body, values);
    const html = `<div style="font-family:sans-serif;white-space:pre-wrap">${escapeHtml(text)}</div>`;
    const recipients = await recipientsFor(deps, tenant.id, setting.level);
    for (const to of recipients.slice(0, MAX_RECIPIENTS)) {
      const message = outboxItem(deps, tenant.id, { eventId: id, event: input.event, to, subject, text, html });
      items.push(putOutboxItem(deps, message));
    }
  }
  await transactWrite(deps.db, items);
  return record;
}

/** Email addresses of the contacts that receive events of this level, each once. */
async function recipientsFor(deps: Deps, tenantId: string, level: string): Promise<string[]> {
  const contacts = (await listNotificationContacts(deps, tenantId)).filter((contact) =>
    contact.levels.includes(level as never),
  );
  const extensionIds = contacts.flatMap((contact) =>
    contact.type === "extension" && contact.extensionId ? [contact.extensionId] : [],
  );
  const emails = await extensionEmails(deps, tenantId, extensionIds);
  const addresses = contacts.map((contact) =>
    contact.type === "extension" ? emails.get(contact.extensionId ?? "") : contact.email,
  );
  return [...new Set(addresses.filter((address): address is string => Boolean(address)))];
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/**
 * The event log, newest first. Event ids are ULIDs, so a time range is a sort-key range; the
 * event and level filters are applied by DynamoDB on the way out.
 */
export async function listEvents(deps: Deps, tenantId: string, query: z.output<typeof listEventsQuery>) {
  const from = query.from
    ? `${keys.eventPrefix}${encodeTime(Math.max(0, Date.parse(query.from)), 10)}`
    : keys.eventPrefix;
  const to = `${keys.eventPrefix}${query.to ? encodeTime(Math.max(0, Date.parse(query.to)), 10) : "7ZZZZZZZZZ"}~`;
  // The range is part of the cursor's scope: a cursor opens only for the range it was issued in.
  const cursors = await cursorCodec(
    deps,
    ["events", tenantId, from, to],
    tableKeyIn(keys.tenant(tenantId).PK, from, to),
  );
  const items: EventRecord[] = [];
  let startKey: Record<string, unknown> | undefined = query.cursor ? cursors.open(query.cursor) : undefined;
  // A filter can leave pages short; read on until the page is full or the range is exhausted.
  for (let pages = 0; pages < 20 && items.length < query.limit; pages++) {
    const page = await eventPage(deps, tenantId, { from, to }, query, query.limit - items.length, startKey);
    items.push(...page.items);
    startKey = page.lastKey;
    if (!startKey) break;
  }
  return startKey ? { items, nextCursor: cursors.seal(startKey as { PK: string; SK: string }) } : { items };
}
