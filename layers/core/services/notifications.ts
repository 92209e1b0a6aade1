import type * as z from "zod";
import type { Deps } from "../deps.js";
import { getExtensionRecord } from "../entities/extension.js";
import {
  deleteNotificationContactRecord,
  deleteNotificationSetting,
  getNotificationContact,
  getNotificationSetting,
  listNotificationContactRecords,
  listNotificationSettingRecords,
  type NotificationContact,
  putNotificationContact,
  putNotificationSetting,
  type StoredSetting,
} from "../entities/notification.js";
import {
  claimOutboxRecord,
  deadOutboxRecords,
  dueOutboxRecords,
  type EventMail,
  getOutboxRecord,
  OUTBOX_DUE_SHARDS,
  type OutboxMessage,
  type OutboxRecord,
  outboxItem,
  requeueDeadOutboxRecord,
  settleOutboxRecord,
  type WelcomeMail,
} from "../entities/outbox.js";
import { NotFoundError, ValidationError } from "../errors.js";
import {
  DEFAULT_TEMPLATE,
  EVENT_TYPES,
  EVENTS,
  type EventType,
  NOTIFICATION_METHODS,
  TEMPLATE_VARIABLES,
} from "../events/catalog.js";
import { logger } from "../logger.js";
import type { OutgoingMail } from "../mail.js";
import type {
  createNotificationContactBody,
  notificationSetting,
  updateNotificationContactBody,
  updateNotificationSettingBody,
} from "../schemas/events.js";
import { composeWelcomeMail } from "./welcome-mail.js";

type NotificationSetting = z.infer<typeof notificationSetting>;

// ---------------------------------------------------------------------------------------------
// Settings per event: stored only once customised; the shipped defaults apply until then.

function defaultSetting(event: EventType): StoredSetting {
  const definition = EVENTS[event];
  return {
    enabled: definition.notifyByDefault,
    level: definition.defaultLevel,
    methods: ["email"],
    template: { ...DEFAULT_TEMPLATE },
  };
}

function present(event: EventType, stored: StoredSetting | undefined): NotificationSetting {
  const { name, category, description } = EVENTS[event];
  const setting = stored ?? defaultSetting(event);
  return {
    event,
    name,
    category,
    description,
    enabled: setting.enabled,
    level: setting.level,
    methods: setting.methods,
    template: setting.template,
    customised: stored !== undefined,
  };
}

export async function notificationSettingFor(deps: Deps, tenantId: string, event: EventType) {
  return present(event, await getNotificationSetting(deps, tenantId, event));
}

export async function listNotificationSettings(deps: Deps, tenantId: string) {
  const settings = await listNotificationSettingRecords(deps, tenantId);
  const stored = new Map(settings.map((item) => [item.event, item]));
  return {
    items: EVENT_TYPES.map((event) => present(event, stored.get(event))),
    methods: NOTIFICATION_METHODS.map((method) => ({ ...method })),
    variables: { ...TEMPLATE_VARIABLES },
  };
}

export async function updateNotificationSetting(
  deps: Deps,
  tenantId: string,
  event: EventType,
  patch: z.output<typeof updateNotificationSettingBody>,
) {
  const current = await notificationSettingFor(deps, tenantId, event);
  const next: StoredSetting = {
    enabled: patch.enabled ?? current.enabled,
    level: patch.level ?? current.level,
    methods: patch.methods ?? current.methods,
    template: patch.template ?? current.template,
  };
  if (next.enabled && next.methods.length === 0) {
    throw ValidationError.one("methods", "an enabled notification needs at least one method");
  }
  await putNotificationSetting(deps, tenantId, event, next);
  return present(event, next);
}

export async function resetNotificationSetting(deps: Deps, tenantId: string, event: EventType) {
  await deleteNotificationSetting(deps, tenantId, event);
  return present(event, undefined);
}

// ---------------------------------------------------------------------------------------------
// Notification contacts: an extension (its email, kept current) or a custom name and email.

export function listNotificationContacts(deps: Deps, tenantId: string): Promise<NotificationContact[]> {
  return listNotificationContactRecords(deps, tenantId);
}

export async function createNotificationContact(
  deps: Deps,
  tenantId: string,
  input: z.output<typeof createNotificationContactBody>,
) {
  const id = deps.newId();
  let contact: NotificationContact;
  if (input.type === "extension") {
    const record = await getExtensionRecord(deps, tenantId, input.extensionId, false);
    if (!record) throw ValidationError.one("extensionId", "is not an extension of this PBX");
    if (!record.email) throw ValidationError.one("extensionId", "has no email address to notify");
    const name = `${record.number} ${record.firstName} ${record.lastName}`.trim();
    contact = {
      id,
      type: "extension",
      extensionId: record.id,
      name,
      levels: input.levels,
      createdAt: deps.now().toISOString(),
    };
  } else {
    contact = {
      id,
      type: "custom",
      name: input.name,
      email: input.email,
      levels: input.levels,
      createdAt: deps.now().toISOString(),
    };
  }
  await putNotificationContact(deps, tenantId, contact);
  return contact;
}

export async function updateNotificationContact(
  deps: Deps,
  tenantId: string,
  contactId: string,
  patch: z.output<typeof updateNotificationContactBody>,
) {
  const contact = await getNotificationContact(deps, tenantId, contactId);
  if (!contact) throw new NotFoundError("Notification contact");
  if (contact.type === "extension" && (patch.name !== undefined || patch.email !== undefined)) {
    const field = patch.name !== undefined ? "name" : "email";
    throw ValidationError.one(field, "an extension contact uses the extension's own name and email");
  }
  const next = { ...contact, ...patch };
  await putNotificationContact(deps, tenantId, next);
  return next;
}

export async function deleteNotificationContact(deps: Deps, tenantId: string, contactId: string) {
  if (!(await deleteNotificationContactRecord(deps, tenantId, contactId))) {
    throw new NotFoundError("Notification contact");
  }
}

// ---------------------------------------------------------------------------------------------
// The outbox: one item per email to send. Events write them in their own transaction; the
// notifier sends them. Delivery is at least once with a lease, so two notifiers never send
// the same item at the same time, and a sent item is never sent again.

export type { EventMail, OutboxMessage, WelcomeMail };
export { outboxItem };

/** Seconds before each retry: 30 s, 2 min, 8 min, 32 min, ~2 h; then the message is dead. */
export const RETRY_DELAYS_SECONDS = [30, 120, 480, 1920, 7680];
const LEASE_SECONDS = 60;

export interface DeliveryReport {
  sent: number;
  retried: number;
  dead: number;
}

/** Sends every message that is due now, across all tenants (the scheduled notifier). */
export async function processDueNotifications(deps: Deps, limitPerShard = 25): Promise<DeliveryReport> {
  const report: DeliveryReport = { sent: 0, retried: 0, dead: 0 };
  const now = deps.now().toISOString();
  for (let shard = 0; shard < OUTBOX_DUE_SHARDS; shard++) {
    const due = await dueOutboxRecords(deps, shard, now, limitPerShard);
    for (const message of due) count(report, await deliver(deps, message));
  }
  return report;
}

export type DeliveryOutcome = "sent" | "retried" | "dead" | "cancelled" | "skipped";

function count(report: DeliveryReport, outcome: DeliveryOutcome): void {
  if (outcome === "sent" || outcome === "retried" || outcome === "dead") report[outcome]++;
}

/** Sends the given messages now (the stream-triggered notifier: new outbox items). */
export async function deliverOutboxItems(deps: Deps, items: { PK: string; SK: string }[]): Promise<DeliveryReport> {
  const report: DeliveryReport = { sent: 0, retried: 0, dead: 0 };
  for (const key of items) {
    const current = await getOutboxRecord(deps, key);
    if (current) count(report, await deliver(deps, current));
  }
  return report;
}

/** Tries one message now (a welcome email as it is asked for); "skipped" when another sender has it. */
export async function deliverOutboxItem(deps: Deps, key: { PK: string; SK: string }): Promise<DeliveryOutcome> {
  const current = await getOutboxRecord(deps, key);
  return current ? deliver(deps, current) : "skipped";
}

/** The email a message stands for; undefined when a welcome email has no one to go to any more. */
async function mailOf(deps: Deps, message: OutboxRecord): Promise<OutgoingMail | undefined> {
  if (message.kind === "welcome") return composeWelcomeMail(deps, message.tenantId, message.extensionId);
  const { to, subject, text, html, tenantId, event } = message;
  return { to, subject, text, html, tags: { tenant: tenantId, event } };
}

async function deliver(deps: Deps, message: OutboxRecord): Promise<DeliveryOutcome> {
  if (message.status !== "pending") return "skipped";
  const now = deps.now();
  const attempt = message.attempts + 1;
  const leaseUntil = new Date(now.getTime() + LEASE_SECONDS * 1000);
  if (!(await claimOutboxRecord(deps, message, now, leaseUntil))) return "skipped"; // someone else has it, or it is done

  try {
    const mail = await mailOf(deps, message);
    if (!mail) {
      await settleOutboxRecord(deps, message, { status: "cancelled" });
      return "cancelled";
    }
    const { messageId } = await deps.mailer().send(mail);
    await settleOutboxRecord(deps, message, { status: "sent", at: deps.now().toISOString(), sesMessageId: messageId });
    return "sent";
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 500) : "unknown error";
    const delay = RETRY_DELAYS_SECONDS[attempt - 1];
    logger.warn("notification send failed", { messageId: message.id, attempt, error: reason });
    if (delay === undefined) {
      await settleOutboxRecord(deps, message, { status: "dead", reason });
      logger.error("notification gave up after retries", { messageId: message.id, attempts: attempt });
      return "dead";
    }
    const due = new Date(deps.now().getTime() + delay * 1000).toISOString();
    await settleOutboxRecord(deps, message, { status: "retry", due, reason });
    return "retried";
  }
}

/** Messages that exhausted their retries: the dead-letter list administrators can see and retry. */
export async function listFailedDeliveries(deps: Deps, tenantId: string) {
  const items = await deadOutboxRecords(deps, tenantId);
  return {
    items: items.map(({ id, to, subject, attempts, lastError, createdAt, ...message }) => ({
      id,
      kind: message.kind ?? "event",
      ...(message.kind === "welcome" ? { extensionId: message.extensionId } : { event: message.event }),
      to,
      subject,
      attempts,
      lastError: lastError ?? "",
      createdAt,
    })),
  };
}

export async function retryFailedDelivery(deps: Deps, tenantId: string, deliveryId: string) {
  if (!(await requeueDeadOutboxRecord(deps, tenantId, deliveryId, deps.now().toISOString()))) {
    throw new NotFoundError("Failed delivery");
  }
}
