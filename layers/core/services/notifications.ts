import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type * as z from "zod";
import type { Deps } from "../deps.js";
import type { ExtensionRecord } from "../entities/extension.js";
import { NotFoundError, ValidationError } from "../errors.js";
import {
  DEFAULT_TEMPLATE,
  EVENT_TYPES,
  EVENTS,
  type EventLevel,
  type EventType,
  NOTIFICATION_METHODS,
  TEMPLATE_VARIABLES,
} from "../events/catalog.js";
import { keys } from "../keys.js";
import { logger } from "../logger.js";
import type { OutgoingMail } from "../mail.js";
import type {
  createNotificationContactBody,
  notificationContact,
  notificationSetting,
  updateNotificationContactBody,
  updateNotificationSettingBody,
} from "../schemas/events.js";
import { isConditionalCheckFailed, queryAll, sortKeyStartsWith } from "../storage/db.js";
import { composeWelcomeMail } from "./welcome-mail.js";

type NotificationSetting = z.infer<typeof notificationSetting>;
type NotificationContact = z.infer<typeof notificationContact>;

// ---------------------------------------------------------------------------------------------
// Settings per event: stored only once customised; the shipped defaults apply until then.

interface StoredSetting {
  enabled: boolean;
  level: EventLevel;
  methods: string[];
  template: { subject: string; body: string };
}

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
  const result = await deps.db.send(
    new GetCommand({ TableName: deps.config.tableName, Key: keys.notificationSetting(tenantId, event) }),
  );
  return present(event, result.Item as StoredSetting | undefined);
}

export async function listNotificationSettings(deps: Deps, tenantId: string) {
  const settings = await queryAll<StoredSetting & { event: EventType }>(deps.db, {
    TableName: deps.config.tableName,
    ...sortKeyStartsWith(keys.tenant(tenantId).PK, keys.notificationSettingPrefix),
  });
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
  await deps.db.send(
    new PutCommand({
      TableName: deps.config.tableName,
      Item: { ...keys.notificationSetting(tenantId, event), type: "notificationSetting", event, ...next },
    }),
  );
  return present(event, next);
}

export async function resetNotificationSetting(deps: Deps, tenantId: string, event: EventType) {
  await deps.db.send(
    new DeleteCommand({ TableName: deps.config.tableName, Key: keys.notificationSetting(tenantId, event) }),
  );
  return present(event, undefined);
}

// ---------------------------------------------------------------------------------------------
// Notification contacts: an extension (its email, kept current) or a custom name and email.

export async function listNotificationContacts(deps: Deps, tenantId: string): Promise<NotificationContact[]> {
  const items = await queryAll(deps.db, {
    TableName: deps.config.tableName,
    ...sortKeyStartsWith(keys.tenant(tenantId).PK, keys.notificationContactPrefix),
  });
  return items.map(toContact);
}

/** Stored with `contactType`, since `type` names the kind of item in this table. */
function toContact(item: Record<string, unknown>): NotificationContact {
  const { id, extensionId, name, email, levels, createdAt } = item as NotificationContact;
  return { id, type: item.contactType as NotificationContact["type"], extensionId, name, email, levels, createdAt };
}

function contactItem(tenantId: string, contact: NotificationContact) {
  const { type, ...rest } = contact;
  return { ...keys.notificationContact(tenantId, contact.id), type: "notificationContact", contactType: type, ...rest };
}

export async function createNotificationContact(
  deps: Deps,
  tenantId: string,
  input: z.output<typeof createNotificationContactBody>,
) {
  const id = deps.newId();
  let contact: NotificationContact;
  if (input.type === "extension") {
    const extension = await deps.db.send(
      new GetCommand({ TableName: deps.config.tableName, Key: keys.extension(tenantId, input.extensionId) }),
    );
    const record = extension.Item as ExtensionRecord | undefined;
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
  await deps.db.send(new PutCommand({ TableName: deps.config.tableName, Item: contactItem(tenantId, contact) }));
  return contact;
}

export async function updateNotificationContact(
  deps: Deps,
  tenantId: string,
  contactId: string,
  patch: z.output<typeof updateNotificationContactBody>,
) {
  const existing = await deps.db.send(
    new GetCommand({ TableName: deps.config.tableName, Key: keys.notificationContact(tenantId, contactId) }),
  );
  if (!existing.Item) throw new NotFoundError("Notification contact");
  const contact = toContact(existing.Item);
  if (contact.type === "extension" && (patch.name !== undefined || patch.email !== undefined)) {
    const field = patch.name !== undefined ? "name" : "email";
    throw ValidationError.one(field, "an extension contact uses the extension's own name and email");
  }
  const next = { ...contact, ...patch };
  await deps.db.send(new PutCommand({ TableName: deps.config.tableName, Item: contactItem(tenantId, next) }));
  return next;
}

export async function deleteNotificationContact(deps: Deps, tenantId: string, contactId: string) {
  try {
    await deps.db.send(
      new DeleteCommand({
        TableName: deps.config.tableName,
        Key: keys.notificationContact(tenantId, contactId),
        ConditionExpression: "attribute_exists(PK)",
      }),
    );
  } catch (error) {
    if (isConditionalCheckFailed(error)) throw new NotFoundError("Notification contact");
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// The outbox: one item per email to send. Events write them in their own transaction; the
// notifier sends them. Delivery is at least once with a lease, so two notifiers never send
// the same item at the same time, and a sent item is never sent again.

/** An event notification: rendered when the event is recorded. */
export interface EventMail {
  kind?: "event";
  eventId: string;
  event: EventType;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** A welcome email: composed at send time (services/welcome-mail.ts), so no token waits in the outbox. */
export interface WelcomeMail {
  kind: "welcome";
  extensionId: string;
  to: string;
  subject: string;
}

export type OutboxMessage = EventMail | WelcomeMail;

/** Seconds before each retry: 30 s, 2 min, 8 min, 32 min, ~2 h; then the message is dead. */
export const RETRY_DELAYS_SECONDS = [30, 120, 480, 1920, 7680];
const LEASE_SECONDS = 60;

export function outboxItem(deps: Deps, tenantId: string, message: OutboxMessage) {
  const id = deps.newId();
  const now = deps.now().toISOString();
  return {
    ...keys.outbox(tenantId, id),
    ...keys.outboxDue(shardOf(id), now, tenantId, id),
    type: "outbox",
    id,
    tenantId,
    ...message,
    status: "pending",
    attempts: 0,
    createdAt: now,
  };
}

function shardOf(id: string): number {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % keys.outboxDueShards;
}

type OutboxRecord = OutboxMessage & {
  PK: string;
  SK: string;
  id: string;
  tenantId: string;
  /** cancelled: a welcome email whose extension (or its address) is gone before it could go. */
  status: "pending" | "sent" | "dead" | "cancelled";
  attempts: number;
  leaseUntil?: string;
  lastError?: string;
  createdAt: string;
};

export interface DeliveryReport {
  sent: number;
  retried: number;
  dead: number;
}

/** Sends every message that is due now, across all tenants (the scheduled notifier). */
export async function processDueNotifications(deps: Deps, limitPerShard = 25): Promise<DeliveryReport> {
  const report: DeliveryReport = { sent: 0, retried: 0, dead: 0 };
  const now = deps.now().toISOString();
  for (let shard = 0; shard < keys.outboxDueShards; shard++) {
    const page = await deps.db.send(
      new QueryCommand({
        TableName: deps.config.tableName,
        IndexName: "GSI1",
        KeyConditionExpression: "GSI1PK = :pk AND GSI1SK <= :now",
        ExpressionAttributeValues: { ":pk": `OUTBOX#DUE#${shard}`, ":now": `${now}~` },
        Limit: limitPerShard,
      }),
    );
    for (const item of page.Items ?? []) count(report, await deliver(deps, item as OutboxRecord));
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
    const current = await deps.db.send(
      new GetCommand({ TableName: deps.config.tableName, Key: { PK: key.PK, SK: key.SK }, ConsistentRead: true }),
    );
    if (current.Item) count(report, await deliver(deps, current.Item as OutboxRecord));
  }
  return report;
}

/** Tries one message now (a welcome email as it is asked for); "skipped" when another sender has it. */
export async function deliverOutboxItem(deps: Deps, key: { PK: string; SK: string }): Promise<DeliveryOutcome> {
  const current = await deps.db.send(
    new GetCommand({ TableName: deps.config.tableName, Key: { PK: key.PK, SK: key.SK }, ConsistentRead: true }),
  );
  return current.Item ? deliver(deps, current.Item as OutboxRecord) : "skipped";
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
  // Claim: only one notifier wins an attempt, and only while no other holds a live lease.
  try {
    await deps.db.send(
      new UpdateCommand({
        TableName: deps.config.tableName,
        Key: { PK: message.PK, SK: message.SK },
        UpdateExpression: "SET attempts = :attempt, leaseUntil = :lease",
        ConditionExpression:
          "#status = :pending AND attempts = :seen AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":attempt": attempt,
          ":lease": new Date(now.getTime() + LEASE_SECONDS * 1000).toISOString(),
          ":pending": "pending",
          ":seen": message.attempts,
          ":now": now.toISOString(),
        },
      }),
    );
  } catch (error) {
    if (isConditionalCheckFailed(error)) return "skipped"; // someone else has it, or it is done
    throw error;
  }

  try {
    const mail = await mailOf(deps, message);
    if (!mail) {
      await deps.db.send(
        new UpdateCommand({
          TableName: deps.config.tableName,
          Key: { PK: message.PK, SK: message.SK },
          UpdateExpression: "SET #status = :cancelled REMOVE GSI1PK, GSI1SK, leaseUntil",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":cancelled": "cancelled" },
        }),
      );
      return "cancelled";
    }
    const { messageId } = await deps.mailer().send(mail);
    await deps.db.send(
      new UpdateCommand({
        TableName: deps.config.tableName,
        Key: { PK: message.PK, SK: message.SK },
        UpdateExpression: "SET #status = :sent, sentAt = :now, sesMessageId = :id REMOVE GSI1PK, GSI1SK, leaseUntil",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":sent": "sent", ":now": deps.now().toISOString(), ":id": messageId },
      }),
    );
    return "sent";
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 500) : "unknown error";
    const delay = RETRY_DELAYS_SECONDS[attempt - 1];
    logger.warn("notification send failed", { messageId: message.id, attempt, error: reason });
    if (delay === undefined) {
      await deps.db.send(
        new UpdateCommand({
          TableName: deps.config.tableName,
          Key: { PK: message.PK, SK: message.SK },
          UpdateExpression: "SET #status = :dead, lastError = :reason REMOVE GSI1PK, GSI1SK, leaseUntil",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":dead": "dead", ":reason": reason },
        }),
      );
      logger.error("notification gave up after retries", { messageId: message.id, attempts: attempt });
      return "dead";
    }
    const due = new Date(deps.now().getTime() + delay * 1000).toISOString();
    await deps.db.send(
      new UpdateCommand({
        TableName: deps.config.tableName,
        Key: { PK: message.PK, SK: message.SK },
        UpdateExpression: "SET GSI1SK = :due, lastError = :reason REMOVE leaseUntil",
        ExpressionAttributeValues: { ":due": `${due}#${message.tenantId}#${message.id}`, ":reason": reason },
      }),
    );
    return "retried";
  }
}

/** Messages that exhausted their retries: the dead-letter list administrators can see and retry. */
export async function listFailedDeliveries(deps: Deps, tenantId: string) {
  const items = await queryAll<OutboxRecord>(deps.db, {
    TableName: deps.config.tableName,
    ...sortKeyStartsWith(keys.tenant(tenantId).PK, keys.outboxPrefix, { ":dead": "dead" }),
    FilterExpression: "#status = :dead",
    ExpressionAttributeNames: { "#status": "status" },
  });
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
  const due = keys.outboxDue(shardOf(deliveryId), deps.now().toISOString(), tenantId, deliveryId);
  try {
    await deps.db.send(
      new UpdateCommand({
        TableName: deps.config.tableName,
        Key: keys.outbox(tenantId, deliveryId),
        UpdateExpression: "SET #status = :pending, attempts = :zero, GSI1PK = :pk, GSI1SK = :sk",
        ConditionExpression: "#status = :dead",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":pending": "pending",
          ":dead": "dead",
          ":zero": 0,
          ":pk": due.GSI1PK,
          ":sk": due.GSI1SK,
        },
      }),
    );
  } catch (error) {
    if (isConditionalCheckFailed(error)) throw new NotFoundError("Failed delivery");
    throw error;
  }
}
