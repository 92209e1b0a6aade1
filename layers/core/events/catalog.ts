/**
 * The events of seed 000 ("Linkus events"): what the system records in the event log and
 * may notify contacts about. Levels and templates are the shipped defaults; each tenant can
 * change them per event.
 */
export const EVENT_LEVELS = ["information", "warning", "alert"] as const;
export type EventLevel = (typeof EVENT_LEVELS)[number];

export const EVENT_TYPES = [
  "web_user_login_success",
  "web_user_login_failed",
  "linkus_client_login_failed",
  "extension_user_password_changed",
  "web_user_blocked_out",
  "linkus_user_blocked_out",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface EventDefinition {
  name: string;
  category: "operations" | "security";
  description: string;
  defaultLevel: EventLevel;
  /** Security events notify by default; routine ones are only logged until someone asks. */
  notifyByDefault: boolean;
}

export const EVENTS: Record<EventType, EventDefinition> = {
  web_user_login_success: {
    name: "Web User Login Success",
    category: "operations",
    description: "An extension user successfully logged in to Linkus Web Client.",
    defaultLevel: "information",
    notifyByDefault: false,
  },
  web_user_login_failed: {
    name: "Web User Login Failed",
    category: "operations",
    description: "An extension user failed to log in to Linkus Web Client.",
    defaultLevel: "warning",
    notifyByDefault: false,
  },
  linkus_client_login_failed: {
    name: "Linkus Client Login Failed",
    category: "operations",
    description: "An extension user failed to log in to Linkus Mobile Client or Linkus Desktop Client.",
    defaultLevel: "warning",
    notifyByDefault: false,
  },
  extension_user_password_changed: {
    name: "Extension User Password Changed",
    category: "operations",
    description: "An extension user's user password was changed.",
    defaultLevel: "information",
    notifyByDefault: false,
  },
  web_user_blocked_out: {
    name: "Web User Blocked Out",
    category: "security",
    description:
      "A specific source IP address was blocked by the system due to too many failed login attempts to Linkus Web Client.",
    defaultLevel: "alert",
    notifyByDefault: true,
  },
  linkus_user_blocked_out: {
    name: "Linkus User Blocked Out",
    category: "security",
    description:
      "A specific source IP address was blocked by the system due to too many failed login attempts to Linkus Mobile Client or Linkus Desktop Client.",
    defaultLevel: "alert",
    notifyByDefault: true,
  },
};

/** Notification methods; the ones that need telephony are listed but cannot be chosen yet. */
export const NOTIFICATION_METHODS = [
  { id: "email", name: "Email", available: true },
  { id: "sms", name: "SMS", available: false, reason: "Needs an SMS trunk, which the PBX does not have yet" },
  { id: "phone_call", name: "Phone call", available: false, reason: "Needs outbound telephony, not available yet" },
] as const;
export type NotificationMethod = (typeof NOTIFICATION_METHODS)[number]["id"];

/** The variables a notification template may use, with what they become. */
export const TEMPLATE_VARIABLES = {
  event_name: "The event's name, e.g. Web User Blocked Out",
  event_level: "Information, Warning or Alert",
  event_category: "Operations or Security",
  event_time: "When it happened (UTC, ISO 8601)",
  extension: "The extension number involved, if any",
  extension_name: "The extension user's name, if known",
  source_ip: "The source IP address",
  client: "Web Client, Mobile Client or Desktop Client",
  details: "What happened, in a sentence",
  pbx_name: "The PBX (tenant) name",
} as const;
export type TemplateVariable = keyof typeof TEMPLATE_VARIABLES;

export const DEFAULT_TEMPLATE = {
  subject: "[{{pbx_name}}] {{event_name}}",
  body: [
    "{{event_name}} ({{event_level}})",
    "",
    "Time: {{event_time}}",
    "Extension: {{extension}} {{extension_name}}",
    "Source IP: {{source_ip}}",
    "Client: {{client}}",
    "",
    "{{details}}",
  ].join("\n"),
};
