/**
 * Administrative permissions and the system's default roles. A route names the one
 * permission it needs; the caller's role decides whether they hold it. The roles issue
 * adds custom roles on top of these defaults; the defaults never change at run time.
 * The table of who holds what is documented in docs/permissions.md.
 */
export const PERMISSIONS = [
  "extensions.view",
  "extensions.manage",
  "extensions.secrets",
  "organizations.view",
  "organizations.manage",
  "roles.view",
  "roles.manage",
  "company_contacts.view",
  "company_contacts.manage",
  "linkus_permissions.manage",
  "event_notifications.manage",
  "event_log.view",
  "security.manage",
  "settings.manage",
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const DEFAULT_ROLE_IDS = [
  "super_admin",
  "admin",
  "supervisor",
  "operator",
  "human_resource",
  "accounting",
  "none",
] as const;

export type DefaultRoleId = (typeof DEFAULT_ROLE_IDS)[number];

export interface RoleDefinition {
  id: DefaultRoleId;
  name: string;
  description: string;
  permissions: readonly Permission[];
}

const everything = PERMISSIONS;

export const DEFAULT_ROLES: Record<DefaultRoleId, RoleDefinition> = {
  super_admin: {
    id: "super_admin",
    name: "Super Administrator",
    description: "Full control of the PBX; the tenant's first extension holds it.",
    permissions: everything,
  },
  admin: {
    id: "admin",
    name: "Administrator",
    description: "Manages every PBX feature; cannot hand out the Super Administrator role.",
    permissions: everything,
  },
  supervisor: {
    id: "supervisor",
    name: "Supervisor",
    description: "Oversees the team: sees extensions and organizations and reads the event log.",
    permissions: ["extensions.view", "organizations.view", "event_log.view"],
  },
  operator: {
    id: "operator",
    name: "Operator",
    description: "Reception: sees extensions and organizations to route callers.",
    permissions: ["extensions.view", "organizations.view"],
  },
  human_resource: {
    id: "human_resource",
    name: "Human Resource",
    description: "Manages users' information, extensions and organizations.",
    permissions: ["extensions.view", "extensions.manage", "organizations.view", "organizations.manage"],
  },
  accounting: {
    id: "accounting",
    name: "Accounting",
    description: "Reads extensions and the event log for billing and audit.",
    permissions: ["extensions.view", "event_log.view"],
  },
  none: {
    id: "none",
    name: "None",
    description: "Default for new extensions: uses Linkus, manages no PBX feature.",
    permissions: [],
  },
};

export function isDefaultRoleId(value: string): value is DefaultRoleId {
  return (DEFAULT_ROLE_IDS as readonly string[]).includes(value);
}

export function permissionsOfRole(roleId: string): readonly Permission[] {
  return isDefaultRoleId(roleId) ? DEFAULT_ROLES[roleId].permissions : [];
}

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}
