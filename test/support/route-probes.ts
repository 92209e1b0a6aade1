import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { defaultDeps } from "../../layers/core/deps.js";
import type { RouteContract } from "../../layers/core/http/contract.js";
import { keys } from "../../layers/core/keys.js";
import type { RouteId } from "../../layers/core/routes.js";
import { outboxItem } from "../../layers/core/services/notifications.js";

/** Values for every path parameter a route may have. */
export interface ProbeTargets {
  tenantId: string;
  extensionId: string;
  organizationId: string;
  notificationContactId: string;
  deliveryId: string;
  ip: string;
  eventType: string;
  roleId: string;
  linkusRuleId: string;
  companyContactsRuleId: string;
  companyContactId: string;
  personalContactId: string;
  callId: string;
  voicemailId: string;
  recordingId: string;
  jobId: string;
}

/**
 * Path parameters that name something a tenant owns: with another tenant's value the
 * route must answer 404. (`eventType` names an event kind, which every tenant has.)
 */
export const OWNED_PARAMS: ReadonlySet<string> = new Set([
  "tenantId",
  "extensionId",
  "organizationId",
  "contactId",
  "deliveryId",
  "ip",
  "roleId",
  "ruleId",
  "contactId",
  "recordId",
  "jobId",
]);

/** Routes that end the session they are called with; loops give them a fresh login. */
export const ENDS_SESSION: ReadonlySet<string> = new Set(["auth.logout", "me.password"]);

export interface Probe {
  body?: unknown;
  query?: Record<string, string>;
}

export interface ProbeContext {
  targets: ProbeTargets;
  /** The calling user's current password. */
  password: string;
}

export const LINKUS_RULE = {
  kind: "menu",
  name: "Probe",
  members: { everyone: true },
  effect: "disallow",
  items: ["chat"],
};
export const CONTACTS_RULE = { name: "Probe", members: { everyone: true }, access: "view" };

export const IMPORT = { format: "csv", mode: "valid_rows", content: "First Name,Business Number\nProbe,555 0100\n" };
export const CONTACT = { firstName: "Probe", numbers: [{ type: "business", number: "555 0100" }] };
const ADD_TO_PERSONAL = { mode: "new", directory: "personal", contact: { firstName: "Probe" } };
export const RECORDS = {
  call: {
    kind: "call",
    name: "Caller",
    number: "+1 555 0100",
    direction: "inbound",
    status: "answered",
    startedAt: "2026-11-01T10:00:00Z",
    durationSeconds: 30,
  },
  voicemail: {
    kind: "voicemail",
    name: "Caller",
    number: "+1 555 0101",
    receivedAt: "2026-11-01T11:00:00Z",
    durationSeconds: 12,
    audioLocation: "voicemail/probe.wav",
  },
  recording: {
    kind: "recording",
    name: "Caller",
    number: "+1 555 0102",
    direction: "outbound",
    recordedAt: "2026-11-01T12:00:00Z",
    durationSeconds: 60,
    audioLocation: "recordings/probe.wav",
  },
};

let counter = 0;
const unique = () => `${Date.now() % 100000}${counter++}`.slice(-7);

/**
 * A valid request for every route, so that tests looping over the route table reach the
 * service (and its tenant checks) rather than stopping at input validation. A new route
 * without a probe here fails those tests by name.
 */
export const PROBES: Record<RouteId, (context: ProbeContext) => Probe> = {
  "platform.tenants.create": () => ({
    body: { name: "Probe", slug: `probe-${unique()}`, adminEmail: `probe${unique()}@example.com` },
  }),
  "platform.tenants.list": () => ({}),
  "platform.tenants.get": () => ({}),
  "platform.tenants.suspend": () => ({}),
  "platform.tenants.resume": () => ({}),
  "platform.tenants.delete": () => ({}),
  "auth.login": () => ({ body: { server: "nobody", email: "nobody@example.com", password: "x" } }),
  "auth.quickLogin": () => ({ body: { token: "ql1.a.b.c" } }),
  "auth.refresh": () => ({ body: { refreshToken: "rt1.a.b.c" } }),
  "auth.logout": () => ({}),
  "me.get": () => ({}),
  "me.password": ({ password }) => ({ body: { currentPassword: password, newPassword: `${password}X9` } }),
  "me.permissions": () => ({}),
  "settings.get": () => ({}),
  "settings.update": () => ({ body: { organizationManagement: true } }),
  "extensions.list": () => ({}),
  "extensions.create": () => ({ body: { firstName: "Probe", number: `9${unique()}` } }),
  "extensions.get": () => ({}),
  "extensions.update": () => ({ body: { jobTitle: "Probed" } }),
  "extensions.delete": () => ({}),
  "extensions.sipCredentials": () => ({}),
  "extensions.registrations": () => ({}),
  "extensions.setPassword": () => ({ body: { newPassword: "Reset1Password" } }),
  "extensions.welcomeEmails": ({ targets }) => ({ body: { extensionIds: [targets.extensionId] } }),
  "security.loginSettings.get": () => ({}),
  "security.loginSettings.update": () => ({ body: { maxFailures: 6 } }),
  "security.blockedIps.list": () => ({}),
  "security.blockedIps.unblock": () => ({}),
  "events.list": () => ({}),
  "notifications.settings.list": () => ({}),
  "notifications.settings.update": () => ({ body: { enabled: true } }),
  "notifications.settings.reset": () => ({}),
  "notifications.contacts.list": () => ({}),
  "notifications.contacts.create": () => ({
    body: { type: "custom", name: "Probe", email: `probe${unique()}@example.com`, levels: ["alert"] },
  }),
  "notifications.contacts.update": () => ({ body: { levels: ["warning"] } }),
  "notifications.contacts.delete": () => ({}),
  "notifications.deliveries.failed": () => ({}),
  "notifications.deliveries.retry": () => ({}),
  "roles.list": () => ({}),
  "roles.create": () => ({ body: { name: `Probe ${unique()}`, permissions: [] } }),
  "roles.get": () => ({}),
  "roles.update": () => ({ body: { description: "Probed" } }),
  "roles.delete": () => ({}),
  "roles.members": () => ({}),
  "linkusRules.list": () => ({}),
  "linkusRules.create": () => ({ body: LINKUS_RULE }),
  "linkusRules.get": () => ({}),
  "linkusRules.replace": () => ({ body: LINKUS_RULE }),
  "linkusRules.delete": () => ({}),
  "companyContactsRules.list": () => ({}),
  "companyContactsRules.create": () => ({ body: CONTACTS_RULE }),
  "companyContactsRules.replace": () => ({ body: CONTACTS_RULE }),
  "companyContactsRules.delete": () => ({}),
  "contacts.list": () => ({}),
  "companyContacts.create": () => ({ body: CONTACT }),
  "companyContacts.get": () => ({}),
  "companyContacts.update": () => ({ body: { ...CONTACT, version: 1 } }),
  "companyContacts.delete": () => ({}),
  "companyContacts.changes": () => ({}),
  "companyContacts.import": () => ({ body: IMPORT }),
  "companyContacts.importStatus": () => ({}),
  "companyContacts.export": () => ({}),
  "phonebook.info": () => ({}),
  "phonebook.rotateToken": () => ({}),
  "phonebook.serve": () => ({}),
  "personalContacts.list": () => ({}),
  "personalContacts.create": () => ({ body: CONTACT }),
  "personalContacts.get": () => ({}),
  "personalContacts.update": () => ({ body: { ...CONTACT, version: 1 } }),
  "personalContacts.delete": () => ({}),
  "personalContacts.share": () => ({}),
  "callLogs.list": () => ({}),
  "callLogs.delete": () => ({}),
  "callLogs.addToContacts": () => ({ body: ADD_TO_PERSONAL }),
  "voicemails.list": () => ({}),
  "voicemails.delete": () => ({}),
  "voicemails.addToContacts": () => ({ body: ADD_TO_PERSONAL }),
  "voicemails.mark": () => ({ body: { read: true } }),
  "recordings.list": () => ({}),
  "recordings.delete": () => ({}),
  "recordings.addToContacts": () => ({ body: ADD_TO_PERSONAL }),
  "records.ingest": () => ({ body: RECORDS.call }),
  "organizations.list": () => ({}),
  "organizations.create": () => ({ body: { name: `Probe ${unique()}` } }),
  "organizations.get": () => ({}),
  "organizations.update": () => ({ body: { description: "Probed" } }),
  "organizations.delete": () => ({}),
  "meta.openapi": () => ({}),
  "meta.clientConfig": () => ({}),
};

/** Fills a route's path template with the targets' ids; an unknown parameter name is a test failure. */
export function fillPath(route: RouteContract, targets: ProbeTargets): string {
  return route.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const key = targetKey(route.id, name);
    const value = targets[key as keyof ProbeTargets];
    if (!value) throw new Error(`No probe target for path parameter {${name}} of ${route.id}`);
    return encodeURIComponent(value);
  });
}

/** The `ProbeTargets` key for a path parameter: parameters shared by several routes name different kinds of target. */
export function targetKey(routeId: string, param: string): string {
  if (param === "ruleId") return routeId.startsWith("linkus") ? "linkusRuleId" : "companyContactsRuleId";
  if (param === "contactId") {
    if (routeId.startsWith("notifications")) return "notificationContactId";
    return routeId.startsWith("personal") ? "personalContactId" : "companyContactId";
  }
  if (param === "recordId") {
    return routeId.startsWith("callLogs") ? "callId" : routeId.startsWith("voicemails") ? "voicemailId" : "recordingId";
  }
  return param;
}

type Request = (
  method: string,
  path: string,
  options: { token?: string; body?: unknown },
) => Promise<{
  status: number;
  body: { id: string };
}>;

/** A company contact, a personal contact of the owner, and one record of each kind for the owner. */
export async function seedContactsAndRecords(
  request: Request,
  admin: { token: string; tenantId: string },
  owner: { token: string; extensionId: string },
  platformKey: string,
) {
  const ingest = (record: unknown) =>
    request("POST", `/api/v1/platform/tenants/${admin.tenantId}/extensions/${owner.extensionId}/records`, {
      token: platformKey,
      body: record,
    });
  const created = await Promise.all([
    request("POST", "/api/v1/company-contacts", { token: admin.token, body: CONTACT }),
    request("POST", "/api/v1/me/contacts", { token: owner.token, body: CONTACT }),
    ingest(RECORDS.call),
    ingest(RECORDS.voicemail),
    ingest(RECORDS.recording),
    request("POST", "/api/v1/company-contacts/imports", { token: admin.token, body: IMPORT }),
  ]);
  for (const response of created)
    if (response.status !== 201 && response.status !== 202) throw new Error(`seed failed: ${JSON.stringify(response)}`);
  const [company, personal, call, voicemail, recording, job] = created.map((r) => r.body.id) as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return {
    companyContactId: company,
    personalContactId: personal,
    callId: call,
    voicemailId: voicemail,
    recordingId: recording,
    jobId: job,
  };
}

/** Routes in an order where the ones that end the caller's session come last. */
export function sessionSafeOrder<R extends RouteContract>(list: R[]): R[] {
  return [...list.filter((r) => !ENDS_SESSION.has(r.id)), ...list.filter((r) => ENDS_SESSION.has(r.id))];
}

/** A custom role, a Linkus rule and a Company Contacts rule, created through the API. */
export async function seedRolesAndRules(
  request: (method: string, path: string, body: unknown) => Promise<{ status: number; body: { id: string } }>,
) {
  const created = await Promise.all([
    request("POST", "/api/v1/roles", { name: `Target ${unique()}`, permissions: [] }),
    request("POST", "/api/v1/linkus-permission-rules", LINKUS_RULE),
    request("POST", "/api/v1/company-contacts-rules", CONTACTS_RULE),
  ]);
  for (const response of created)
    if (response.status !== 201 && response.status !== 202) throw new Error(`seed failed: ${JSON.stringify(response)}`);
  const [role, linkus, contacts] = created.map((response) => response.body.id) as [string, string, string];
  return { roleId: role, linkusRuleId: linkus, companyContactsRuleId: contacts };
}

/** State that has no create route of its own: a blocked IP and a dead notification. */
export async function seedBlockedIp(tenantId: string, ip: string): Promise<void> {
  const deps = defaultDeps();
  const until = Date.now() + 3_600_000;
  await deps.db.send(
    new PutCommand({
      TableName: deps.config.tableName,
      Item: {
        ...keys.blockedIp(tenantId, ip),
        type: "blockedIp",
        ip,
        clientKind: "web",
        blockedAt: new Date().toISOString(),
        blockedUntil: new Date(until).toISOString(),
        blockedUntilMs: until,
      },
    }),
  );
}

export async function seedDeadDelivery(tenantId: string): Promise<string> {
  const deps = defaultDeps();
  const item = outboxItem(deps, tenantId, {
    eventId: deps.newId(),
    event: "web_user_blocked_out",
    to: "ops@example.com",
    subject: "Probe",
    text: "Probe",
    html: "<p>Probe</p>",
  });
  const { GSI1PK: _pk, GSI1SK: _sk, ...dead } = item;
  await deps.db.send(
    new PutCommand({
      TableName: deps.config.tableName,
      Item: { ...dead, status: "dead", attempts: 6, lastError: "probe" },
    }),
  );
  return item.id;
}
