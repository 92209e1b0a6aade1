/**
 * Key builders for the single table. Every tenant-owned item's partition key starts with
 * `T#<tenantId>`; the only items outside a tenant are the platform's slug registry and
 * the platform-wide index of tenants (GSI1). See docs/data-model.md.
 */
export type UniqueField = "email" | "number" | "registrationName";

export const keys = {
  tenant: (tenantId: string) => ({ PK: `T#${tenantId}`, SK: "TENANT" }),
  /** GSI1 projection that lists every tenant for the platform operator, oldest first. */
  tenantIndex: (createdAt: string, tenantId: string) => ({
    GSI1PK: "TENANTS",
    GSI1SK: `${createdAt}#${tenantId}`,
  }),
  /** Platform-level guard: one slug, one tenant. */
  slug: (slug: string) => ({ PK: `SLUG#${slug}`, SK: "SLUG" }),

  extension: (tenantId: string, extensionId: string) => ({
    PK: `T#${tenantId}`,
    SK: `EXT#${extensionId}`,
  }),
  extensionPrefix: "EXT#",
  /** Guard items that make email, number and registration name unique inside a tenant. */
  unique: (tenantId: string, field: UniqueField, value: string) => ({
    PK: `T#${tenantId}`,
    SK: `UNIQ#${field}#${field === "email" ? value.toLowerCase() : value}`,
  }),

  organization: (tenantId: string, organizationId: string) => ({
    PK: `T#${tenantId}`,
    SK: `ORG#${organizationId}`,
  }),
  organizationPrefix: "ORG#",
  organizationName: (tenantId: string, name: string) => ({
    PK: `T#${tenantId}`,
    SK: `UNIQ#orgName#${name.toLowerCase()}`,
  }),
} as const;

export const tenantPartition = (tenantId: string) => `T#${tenantId}`;
