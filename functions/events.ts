import { createGroupHandler } from "#core/http/handler";
import { eventsRoutes } from "#core/routes/events";
import { listEvents } from "#core/services/events";
import {
  createNotificationContact,
  deleteNotificationContact,
  listFailedDeliveries,
  listNotificationContacts,
  listNotificationSettings,
  resetNotificationSetting,
  retryFailedDelivery,
  updateNotificationContact,
  updateNotificationSetting,
} from "#core/services/notifications";

export const handler = createGroupHandler(eventsRoutes, {
  "events.list": ({ query }, { deps, caller }) => listEvents(deps, caller.tenantId, query),
  "notifications.settings.list": (_input, { deps, caller }) => listNotificationSettings(deps, caller.tenantId),
  "notifications.settings.update": ({ params, body }, { deps, caller }) =>
    updateNotificationSetting(deps, caller.tenantId, params.eventType, body),
  "notifications.settings.reset": ({ params }, { deps, caller }) =>
    resetNotificationSetting(deps, caller.tenantId, params.eventType),
  "notifications.contacts.list": async (_input, { deps, caller }) => ({
    items: await listNotificationContacts(deps, caller.tenantId),
  }),
  "notifications.contacts.create": ({ body }, { deps, caller }) =>
    createNotificationContact(deps, caller.tenantId, body),
  "notifications.contacts.update": ({ params, body }, { deps, caller }) =>
    updateNotificationContact(deps, caller.tenantId, params.contactId, body),
  "notifications.contacts.delete": ({ params }, { deps, caller }) =>
    deleteNotificationContact(deps, caller.tenantId, params.contactId),
  "notifications.deliveries.failed": (_input, { deps, caller }) => listFailedDeliveries(deps, caller.tenantId),
  "notifications.deliveries.retry": ({ params }, { deps, caller }) =>
    retryFailedDelivery(deps, caller.tenantId, params.deliveryId),
});
