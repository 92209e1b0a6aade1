import { generatePassword, generateRegistrationName, hashPassword } from "../auth/password.js";
import { seal, unseal } from "../auth/sealed.js";
import type { Deps } from "../deps.js";
import { directoryChangedItem } from "../entities/directory-version.js";
import {
  claimUniqueValue,
  deleteExtensionIfUnchanged,
  type ExtensionRecord,
  getExtensionRecord,
  listExtensionRecords,
  putNewExtension,
  registrationSecretContext,
  releaseUniqueValue,
  replaceExtensionIfUnchanged,
  toExtension,
} from "../entities/extension.js";
import { changeCount } from "../entities/organization.js";
import { deleteQuickLogin } from "../entities/quick-login.js";
import { changeSuperAdminCount, requireTenant, type TenantRecord } from "../entities/tenant.js";
import { ConflictError, DomainError, ForbiddenError, NotFoundError, ValidationError } from "../errors.js";
import { keys, type UniqueField } from "../keys.js";
import type {
  CreateExtensionInput,
  Extension,
  ListExtensionsQuery,
  UpdateExtensionInput,
} from "../schemas/extensions.js";
import { type GuardedItem, transactWrite } from "../storage/db.js";
import type { TenantCaller } from "./caller.js";
import { assertCanAssignRole, requireAssignableRole, resolveRole, roleMemberCountChange } from "./roles.js";
import { sendWelcomeEmails } from "./welcome.js";

const UNIQUE_FIELDS: readonly UniqueField[] = ["number", "email", "registrationName"];

const TAKEN_MESSAGE: Record<UniqueField, string> = {
  number: "This extension number is already used by another extension",
  email: "This email address is already used by another user",
  registrationName: "This registration name is already used by another extension",
};

/** Raised inside an update when another writer got there first; the update reloads and tries again. */
class StaleWrite extends DomainError {
  override readonly name = "StaleWrite";

  constructor() {
    super(409, "conflict", "The extension changed while it was being saved", { field: "version" });
  }
}

export interface NewExtension {
  record: ExtensionRecord;
  /** Set only when the user password was generated: the one time anyone sees it. */
  initialUserPassword?: string;
}

/** Builds a complete stored extension from validated input, generating what seed 002 makes random. */
export async function buildExtensionRecord(
  deps: Deps,
  tenantId: string,
  input: CreateExtensionInput,
): Promise<NewExtension> {
  const id = deps.newId();
  const now = deps.now().toISOString();
  const userPassword = input.userPassword ?? generatePassword(16);
  const registrationPassword = input.registrationPassword ?? generatePassword(20, true);
  const { dataKey } = await deps.keys();
  const record: ExtensionRecord = {
    ...keys.extension(tenantId, id),
    type: "extension",
    tenantId,
    id,
    number: input.number,
    firstName: input.firstName,
    lastName: input.lastName,
    email: input.email,
    mobileNumber: input.mobileNumber,
    role: input.role,
    organizations: input.organizations,
    jobTitle: input.jobTitle,
    callerId: input.callerId,
    registrationName: input.registrationName ?? generateRegistrationName(),
    concurrentRegistrations: input.concurrentRegistrations,
    passwordHash: await hashPassword(userPassword),
    registrationPasswordSealed: seal(registrationPassword, dataKey, registrationSecretContext(tenantId, id)),
    credentialVersion: 1,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  return input.userPassword ? { record } : { record, initialUserPassword: userPassword };
}

function guardPut(deps: Deps, record: ExtensionRecord, field: UniqueField): GuardedItem {
  return claimUniqueValue(deps, record, field, () => new ConflictError(field, TAKEN_MESSAGE[field]));
}

function guardDelete(deps: Deps, record: ExtensionRecord, field: UniqueField): GuardedItem {
  return releaseUniqueValue(deps, record, field);
}

function memberCountChange(deps: Deps, tenantId: string, organizationId: string, delta: 1 | -1, index: number) {
  return changeCount(deps, tenantId, organizationId, "memberCount", delta, () =>
    ValidationError.one(`organizations.${index}`, "is not an organization of this PBX"),
  );
}

/** The Super Administrator count on the tenant never drops below one. */
function superAdminCountChange(deps: Deps, tenantId: string, delta: 1 | -1): GuardedItem {
  return changeSuperAdminCount(
    deps,
    tenantId,
    delta,
    () => new ConflictError("role", "The PBX must keep at least one Super Administrator"),
  );
}

/** Every write that creates an extension: the record, its guards and its organization counts. */
export function extensionCreateItems(deps: Deps, record: ExtensionRecord, countSuperAdmin = true): GuardedItem[] {
  const items: GuardedItem[] = [
    putNewExtension(deps, record),
    ...UNIQUE_FIELDS.filter((field) => record[field] !== "").map((field) => guardPut(deps, record, field)),
    ...record.organizations.map((orgId, index) => memberCountChange(deps, record.tenantId, orgId, 1, index)),
  ];
  if (countSuperAdmin && record.role === "super_admin") items.push(superAdminCountChange(deps, record.tenantId, 1));
  items.push(...roleMemberCountChange(deps, record.tenantId, record.role, 1));
  items.push(directoryChangedItem(deps, record.tenantId));
  return items;
}

function assertOrganizationsAllowed(tenant: TenantRecord, organizations: readonly string[] | undefined): void {
  if (organizations && organizations.length > 0 && !tenant.organizationManagement) {
    throw ValidationError.one("organizations", "Organization Management is not enabled for this PBX");
  }
}

export async function createExtension(deps: Deps, caller: TenantCaller, input: CreateExtensionInput) {
  const tenant = await requireTenant(deps, caller.tenantId);
  await requireAssignableRole(deps, caller, input.role);
  assertOrganizationsAllowed(tenant, input.organizations);
  const { record, initialUserPassword } = await buildExtensionRecord(deps, caller.tenantId, input);
  await transactWrite(deps.db, extensionCreateItems(deps, record));
  const welcomeEmail = input.sendWelcomeEmail
    ? (await sendWelcomeEmails(deps, caller.tenantId, [record.id])).results[0]
    : undefined;
  return {
    ...toExtension(record),
    ...(initialUserPassword ? { initialUserPassword } : {}),
    ...(welcomeEmail ? { welcomeEmail } : {}),
  };
}

async function requireExtension(deps: Deps, tenantId: string, extensionId: string): Promise<ExtensionRecord> {
  const record = await getExtensionRecord(deps, tenantId, extensionId);
  if (!record) throw new NotFoundError("Extension");
  return record;
}

export async function getExtension(deps: Deps, tenantId: string, extensionId: string): Promise<Extension> {
  return toExtension(await requireExtension(deps, tenantId, extensionId));
}

const MAX_UPDATE_ATTEMPTS = 5;

export async function updateExtension(
  deps: Deps,
  caller: TenantCaller,
  extensionId: string,
  patch: UpdateExtensionInput,
): Promise<Extension> {
  for (let attempt = 1; ; attempt++) {
    const current = await requireExtension(deps, caller.tenantId, extensionId);
    if (patch.version !== undefined && patch.version !== current.version) {
      throw new ConflictError("version", "The extension was changed by someone else", {
        current: toExtension(current),
      });
    }
    try {
      return await applyUpdate(deps, caller, current, patch);
    } catch (error) {
      if (!(error instanceof StaleWrite) || attempt >= MAX_UPDATE_ATTEMPTS) throw error;
    }
  }
}

async function applyUpdate(
  deps: Deps,
  caller: TenantCaller,
  current: ExtensionRecord,
  patch: UpdateExtensionInput,
): Promise<Extension> {
  const { version: expectedVersion, registrationPassword, ...fields } = patch;
  if (fields.role !== undefined && fields.role !== current.role) {
    if (current.id === caller.extensionId)
      throw new ForbiddenError("You cannot change your own role", { field: "role" });
    // Taking a role away is checked like giving it: an unknown (deleted) old role grants nothing.
    assertCanAssignRole(caller, (await resolveRole(deps, caller.tenantId, current.role)) ?? noRole(current.role));
    await requireAssignableRole(deps, caller, fields.role);
  }
  if (fields.organizations?.length)
    assertOrganizationsAllowed(await requireTenant(deps, caller.tenantId), fields.organizations);

  const next: ExtensionRecord = {
    ...current,
    ...fields,
    updatedAt: deps.now().toISOString(),
    version: current.version + 1,
  };
  if (registrationPassword !== undefined) {
    const { dataKey } = await deps.keys();
    next.registrationPasswordSealed = seal(
      registrationPassword,
      dataKey,
      registrationSecretContext(current.tenantId, current.id),
    );
  }

  const items: GuardedItem[] = [
    replaceExtensionIfUnchanged(deps, next, current.version, () =>
      expectedVersion === undefined
        ? new StaleWrite()
        : new ConflictError("version", "The extension was changed by someone else"),
    ),
  ];
  for (const field of UNIQUE_FIELDS) {
    if (uniqueValue(field, next[field]) === uniqueValue(field, current[field])) {
      // Same guard; an email whose case changed keeps its lower-cased guard.
      continue;
    }
    if (current[field] !== "") items.push(guardDelete(deps, current, field));
    if (next[field] !== "") items.push(guardPut(deps, next, field));
  }
  const before = new Set(current.organizations);
  const after = new Set(next.organizations);
  next.organizations.forEach((orgId, index) => {
    if (!before.has(orgId)) items.push(memberCountChange(deps, current.tenantId, orgId, 1, index));
  });
  for (const orgId of current.organizations) {
    if (!after.has(orgId)) items.push(memberCountChange(deps, current.tenantId, orgId, -1, 0));
  }
  if (current.role !== next.role && (current.role === "super_admin" || next.role === "super_admin")) {
    items.push(superAdminCountChange(deps, current.tenantId, next.role === "super_admin" ? 1 : -1));
  }
  if (current.role !== next.role) {
    items.push(...roleMemberCountChange(deps, current.tenantId, current.role, -1));
    items.push(...roleMemberCountChange(deps, current.tenantId, next.role, 1));
  }
  items.push(directoryChangedItem(deps, current.tenantId));
  await transactWrite(deps.db, items);
  return toExtension(next);
}

/** A role id that no longer resolves: it grants nothing, so anyone may take it away. */
function noRole(id: string) {
  return { id, name: id, permissions: [] };
}

function uniqueValue(field: UniqueField, value: string): string {
  return field === "email" ? value.toLowerCase() : value;
}

export async function deleteExtension(deps: Deps, caller: TenantCaller, extensionId: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const current = await requireExtension(deps, caller.tenantId, extensionId);
    assertCanAssignRole(caller, (await resolveRole(deps, caller.tenantId, current.role)) ?? noRole(current.role));
    const items: GuardedItem[] = [
      deleteExtensionIfUnchanged(deps, current, () => new StaleWrite()),
      ...UNIQUE_FIELDS.filter((field) => current[field] !== "").map((field) => guardDelete(deps, current, field)),
      ...current.organizations.map((orgId) => memberCountChange(deps, current.tenantId, orgId, -1, 0)),
      // An unused welcome-email link dies with the extension. (Sessions end at once through the
      // authorizer, which finds no extension, and their items expire by TTL.)
      deleteQuickLogin(deps, current.tenantId, current.id),
    ];
    if (current.role === "super_admin") items.push(superAdminCountChange(deps, current.tenantId, -1));
    items.push(...roleMemberCountChange(deps, current.tenantId, current.role, -1));
    items.push(directoryChangedItem(deps, current.tenantId));
    try {
      await transactWrite(deps.db, items);
      return;
    } catch (error) {
      if (!(error instanceof StaleWrite) || attempt >= MAX_UPDATE_ATTEMPTS) throw error;
    }
  }
}

/**
 * Reads every extension of the tenant with a Query on its partition (never a Scan), then
 * searches, sorts and pages in memory. A PBX holds thousands of extensions, not millions,
 * so one paged Query is cheaper than an index per sort order (see docs/data-model.md).
 */
export async function listExtensions(deps: Deps, tenantId: string, query: ListExtensionsQuery) {
  const all = await queryAllExtensions(deps, tenantId);
  const needle = query.search?.toLowerCase();
  const matching = needle
    ? all.filter((ext) =>
        [`${ext.firstName} ${ext.lastName}`, ext.number, ext.email].some((value) =>
          value.toLowerCase().includes(needle),
        ),
      )
    : all;
  const direction = query.order === "desc" ? -1 : 1;
  const sorted = matching.sort((a, b) => direction * compareBy(query.sortBy, a, b));
  const start = (query.page - 1) * query.pageSize;
  return {
    total: sorted.length,
    page: query.page,
    pageSize: query.pageSize,
    items: sorted.slice(start, start + query.pageSize).map(toExtension),
  };
}

export function queryAllExtensions(deps: Deps, tenantId: string): Promise<ExtensionRecord[]> {
  return listExtensionRecords(deps, tenantId);
}

const collator = new Intl.Collator("en", { sensitivity: "base", numeric: true });

function compareBy(sortBy: ListExtensionsQuery["sortBy"], a: ExtensionRecord, b: ExtensionRecord): number {
  switch (sortBy) {
    case "number":
      return collator.compare(a.number, b.number) || a.number.localeCompare(b.number);
    case "name":
      return (
        collator.compare(`${a.firstName} ${a.lastName}`, `${b.firstName} ${b.lastName}`) ||
        collator.compare(a.number, b.number)
      );
    case "email":
      return collator.compare(a.email, b.email) || collator.compare(a.number, b.number);
    case "createdAt":
      return a.id.localeCompare(b.id);
  }
}

export async function revealSipCredentials(deps: Deps, caller: TenantCaller, extensionId: string) {
  const record = await requireExtension(deps, caller.tenantId, extensionId);
  const { dataKey } = await deps.keys();
  return {
    extensionId: record.id,
    number: record.number,
    domain: caller.tenantSlug,
    registrationName: record.registrationName,
    registrationPassword: unseal(
      record.registrationPasswordSealed,
      dataKey,
      registrationSecretContext(record.tenantId, record.id),
    ),
  };
}
