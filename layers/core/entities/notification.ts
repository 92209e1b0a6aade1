import type * as z from "zod";
import type { Deps } from "../deps.js";
import type { EventLevel, EventType } from "../events/catalog.js";
import { keys, partitionOf } from "../keys.js";
import type { notificationContact } from "../schemas/events.js";
import { sortKeyStartsWith } from "../storage/db.js";
import { deleteItem, getItem, putItem, queryEvery, sendGuarded } from "./table.js";

/**
 * Notification settings per event type (`NOTIFYSET#<event>`, stored only once customised) and
 * notification contacts (`NOTIFYCONTACT#<id>`).
 */
export interface StoredSetting {
  enabled: boolean;
  level: EventLevel;
  methods: string[];
  template: { subject: string; body: string };
}

export type NotificationContact = z.infer<typeof notificationContact>;

export function getNotificationSetting(deps: Deps, tenantId: string, event: EventType) {
  return getItem<StoredSetting>(deps, keys.notificationSetting(tenantId, event), false);
}

export function listNotificationSettingRecords(deps: Deps, tenantId: string) {
  return queryEvery<StoredSetting & { event: EventType }>(
    deps,
    sortKeyStartsWith(partitionOf(tenantId), keys.notificationSettingPrefix),
  );
}

export function putNotificationSetting(deps: Deps, tenantId: string, event: EventType, setting: StoredSetting) {
  return putItem(deps, {
    ...keys.notificationSetting(tenantId, event),
    type: "notificationSetting",
    event,
    ...setting,
  });
}

export function deleteNotificationSetting(deps: Deps, tenantId: string, event: EventType) {
  return deleteItem(deps, keys.notificationSetting(tenantId, event));
}

export async function listNotificationContactRecords(deps: Deps, tenantId: string): Promise<NotificationContact[]> {
  const items = await queryEvery<Record<string, unknown>>(
    deps,
    sortKeyStartsWith(partitionOf(tenantId), keys.notificationContactPrefix),
  );
  return items.map(toContact);
}

export async function getNotificationContact(deps: Deps, tenantId: string, contactId: string) {
  const item = await getItem<Record<string, unknown>>(deps, keys.notificationContact(tenantId, contactId), false);
  return item ? toContact(item) : undefined;
}

export function putNotificationContact(deps: Deps, tenantId: string, contact: NotificationContact) {
  const { type, ...rest } = contact;
  return putItem(deps, {
    ...keys.notificationContact(tenantId, contact.id),
    type: "notificationContact",
    contactType: type,
    ...rest,
  });
}

/** False: there was no such contact. */
export async function deleteNotificationContactRecord(deps: Deps, tenantId: string, contactId: string) {
  const outcome = await sendGuarded(deps, {
    Delete: { Key: keys.notificationContact(tenantId, contactId), ConditionExpression: "attribute_exists(PK)" },
  });
  return outcome.written;
}

/** Stored with `contactType`, since `type` names the kind of item in this table. */
function toContact(item: Record<string, unknown>): NotificationContact {
  const { id, extensionId, name, email, levels, createdAt } = item as NotificationContact;
  return { id, type: item.contactType as NotificationContact["type"], extensionId, name, email, levels, createdAt };
}
