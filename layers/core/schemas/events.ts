import * as z from "zod";
import { EVENT_LEVELS, EVENT_TYPES, NOTIFICATION_METHODS } from "../events/catalog.js";
import { templateProblems } from "../events/template.js";
import { email, entityId, text } from "./common.js";

export const eventType = z.enum(EVENT_TYPES);
export const eventLevel = z.enum(EVENT_LEVELS);

export const eventRecord = z.object({
  id: entityId,
  event: eventType,
  name: z.string(),
  category: z.enum(["operations", "security"]),
  level: eventLevel,
  time: z.string(),
  extensionId: z.string().optional(),
  extensionNumber: z.string().optional(),
  sourceIp: z.string().optional(),
  client: z.string().optional(),
  details: z.string(),
});

export const listEventsQuery = z
  .strictObject({
    event: eventType.optional(),
    level: eventLevel.optional(),
    from: z.iso.datetime({ message: "must be an ISO 8601 date-time", offset: true }).optional(),
    to: z.iso.datetime({ message: "must be an ISO 8601 date-time", offset: true }).optional(),
    limit: z.coerce.number().int().min(1, "must be at least 1").max(200, "must be at most 200").default(50),
    cursor: z.string().max(512).optional(),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), {
    path: ["from"],
    message: "must not be after to",
  });

export const listEventsResponse = z.object({ items: z.array(eventRecord), nextCursor: z.string().optional() });

const methodId = z.enum(NOTIFICATION_METHODS.map((m) => m.id) as [string, ...string[]]);

const template = (max: number, singleLine: boolean) =>
  z
    .string()
    .min(1, "is required")
    .max(max, `must be at most ${max} characters`)
    .superRefine((value, context) => {
      if (singleLine && /[\r\n]/.test(value)) context.addIssue({ code: "custom", message: "must be a single line" });
      for (const problem of templateProblems(value)) context.addIssue({ code: "custom", message: problem });
    });

export const notificationSetting = z.object({
  event: eventType,
  name: z.string(),
  category: z.enum(["operations", "security"]),
  description: z.string(),
  enabled: z.boolean(),
  level: eventLevel,
  methods: z.array(z.string()),
  template: z.object({ subject: z.string(), body: z.string() }),
  customised: z.boolean().meta({ description: "False while the shipped defaults apply" }),
});

export const listNotificationSettingsResponse = z.object({
  items: z.array(notificationSetting),
  methods: z.array(
    z.object({ id: z.string(), name: z.string(), available: z.boolean(), reason: z.string().optional() }),
  ),
  variables: z.record(z.string(), z.string()),
});

export const notificationSettingParams = z.strictObject({ eventType });

export const updateNotificationSettingBody = z
  .strictObject({
    enabled: z.boolean().optional(),
    level: eventLevel.optional(),
    methods: z
      .array(methodId)
      .max(3)
      .refine((ids) => new Set(ids).size === ids.length, "must not repeat a method")
      .superRefine((ids, context) => {
        for (const id of ids) {
          const method = NOTIFICATION_METHODS.find((m) => m.id === id);
          if (method && !method.available) context.addIssue({ code: "custom", message: `${id} is not available yet` });
        }
      })
      .optional(),
    template: z.strictObject({ subject: template(200, true), body: template(5000, false) }).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, "must change at least one setting");

const levels = z
  .array(eventLevel)
  .min(1, "must name at least one level")
  .refine((l) => new Set(l).size === l.length, "must not repeat a level");

export const notificationContact = z.object({
  id: entityId,
  type: z.enum(["extension", "custom"]),
  extensionId: entityId.optional(),
  name: z.string(),
  email: z.string().optional(),
  levels: z.array(eventLevel),
  createdAt: z.string(),
});

export const createNotificationContactBody = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("extension"), extensionId: entityId, levels }),
  z.strictObject({ type: z.literal("custom"), name: text(64).min(1, "is required"), email, levels }),
]);

export const updateNotificationContactBody = z
  .strictObject({ name: text(64).min(1).optional(), email: email.optional(), levels: levels.optional() })
  .refine((body) => Object.keys(body).length > 0, "must change at least one field");

export const notificationContactParams = z.strictObject({ contactId: entityId });

export const listNotificationContactsResponse = z.object({ items: z.array(notificationContact) });

export const failedDelivery = z.object({
  id: entityId,
  /** An event notification (with its event) or a welcome email (with its extension). */
  kind: z.enum(["event", "welcome"]),
  event: eventType.optional(),
  extensionId: entityId.optional(),
  to: z.string(),
  subject: z.string(),
  attempts: z.number().int(),
  lastError: z.string(),
  createdAt: z.string(),
});
export const listFailedDeliveriesResponse = z.object({ items: z.array(failedDelivery) });
export const deliveryParams = z.strictObject({ deliveryId: entityId });
