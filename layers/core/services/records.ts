import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { Deps } from "../deps.js";
import { NotFoundError } from "../errors.js";
import { keys } from "../keys.js";
import type { Extension } from "../schemas/extensions.js";
import type { Organization } from "../schemas/organizations.js";
import type { SipDigestAlgorithm, Tenant } from "../schemas/tenants.js";
import { pickFields } from "../storage/pick.js";

/**
 * What is stored, as opposed to what the API shows: stored records carry keys, counters
 * and secrets that the `to...` functions below leave out of every response.
 */
export interface TenantRecord extends Tenant {
  PK: string;
  SK: string;
  type: "tenant";
  /** Holders of the Super Administrator role; kept >= 1 by conditional writes. */
  superAdminCount: number;
  /** Set while a delete purges the tenant's items, so a retried delete can resume. */
  deleting?: boolean;
  /** The SIP digest challenges to offer, in order; absent: the platform default. */
  sipDigestAlgorithms?: SipDigestAlgorithm[];
}

export interface ExtensionRecord extends Extension {
  PK: string;
  SK: string;
  type: "extension";
  tenantId: string;
  passwordHash: string;
  /** The SIP registration password, AES-GCM sealed (see auth/sealed.ts). */
  registrationPasswordSealed: string;
  /** Bumped when the user password changes, so sessions issued before can be ended. */
  credentialVersion: number;
}

export interface OrganizationRecord extends Organization {
  PK: string;
  SK: string;
  type: "organization";
  childCount: number;
}

export function toTenant(record: TenantRecord): Tenant {
  const { id, name, slug, status, organizationManagement, createdAt, updatedAt } = record;
  return { id, name, slug, status, organizationManagement, createdAt, updatedAt };
}

const EXTENSION_FIELDS = [
  "id",
  "number",
  "firstName",
  "lastName",
  "email",
  "mobileNumber",
  "role",
  "organizations",
  "jobTitle",
  "callerId",
  "registrationName",
  "concurrentRegistrations",
  "createdAt",
  "updatedAt",
  "version",
] as const satisfies readonly (keyof Extension)[];

export function toExtension(record: ExtensionRecord): Extension {
  return pickFields(record, EXTENSION_FIELDS);
}

export function toOrganization(record: OrganizationRecord): Organization {
  const { id, name, description, parentId, memberCount, createdAt, updatedAt } = record;
  return { id, name, description, parentId, memberCount, createdAt, updatedAt };
}

/** The sealed SIP password is bound to its tenant and extension. */
export const registrationSecretContext = (tenantId: string, extensionId: string) => `sip:${tenantId}:${extensionId}`;

export async function getTenantRecord(deps: Deps, tenantId: string): Promise<TenantRecord | undefined> {
  const result = await deps.db.send(
    new GetCommand({ TableName: deps.config.tableName, Key: keys.tenant(tenantId), ConsistentRead: true }),
  );
  return result.Item as TenantRecord | undefined;
}

export async function requireTenant(deps: Deps, tenantId: string): Promise<TenantRecord> {
  const record = await getTenantRecord(deps, tenantId);
  if (!record || record.deleting) throw new NotFoundError("Tenant");
  return record;
}

export async function getExtensionRecord(
  deps: Deps,
  tenantId: string,
  extensionId: string,
): Promise<ExtensionRecord | undefined> {
  const result = await deps.db.send(
    new GetCommand({
      TableName: deps.config.tableName,
      Key: keys.extension(tenantId, extensionId),
      ConsistentRead: true,
    }),
  );
  return result.Item as ExtensionRecord | undefined;
}
