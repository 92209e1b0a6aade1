/**
 * What Linkus client permission rules govern (seed 000, "Linkus client user permissions"):
 * which menus a client shows, and which settings a user may change. By default everything
 * is allowed; rules restrict it. The server enforces the same answers on the API.
 */
export const MENUS = ["dial_pad", "contacts", "call_logs", "voicemails", "recordings", "chat", "settings"] as const;
export type Menu = (typeof MENUS)[number];

export const OPERATIONS = [
  "call_forwarding",
  "presence",
  "change_password",
  "view_personal_contacts",
  "edit_personal_contacts",
] as const;
export type Operation = (typeof OPERATIONS)[number];

export const MENU_NAMES: Record<Menu, string> = {
  dial_pad: "Dial Pad",
  contacts: "Contacts",
  call_logs: "Call Logs",
  voicemails: "Voicemails",
  recordings: "Recordings",
  chat: "Chat",
  settings: "Settings",
};

export const OPERATION_NAMES: Record<Operation, string> = {
  call_forwarding: "Call forwarding",
  presence: "Presence",
  change_password: "Change password",
  view_personal_contacts: "View personal contacts",
  edit_personal_contacts: "Edit personal contacts",
};

export type CompanyContactsAccess = "none" | "view" | "manage";
