/**
 * Key builders for the single table. Every tenant-owned item's partition key starts with
 * `T#<tenantId>`; the only items outside a tenant are the platform's slug registry and
 * the platform-wide index of tenants (GSI1). See docs/data-model.md.
 */
export type UniqueField = "email" | "number" | "registrationName";

/**
 * Every partition a tenant owns, by the suffix after `T#<tenantId>`: the key builders below and
 * tenant deletion (`tenantPartitions`) both read this one list, so a new partition is purged too.
 */
const PARTITION_SUFFIXES = {
  main: "",
  records: "#REC",
  companyContacts: "#CC",
  contactIndex: "#CCX",
  personalContacts: "#PC",
  jobs: "#JOB",
  registrations: "#REG",
} as const;
export type TenantPartitionKind = keyof typeof PARTITION_SUFFIXES;

export const partitionOf = (tenantId: string, kind: TenantPartitionKind = "main") =>
  `T#${tenantId}${PARTITION_SUFFIXES[kind]}`;

/** Every partition a tenant owns: deleting the tenant purges them all. */
export const tenantPartitions = (tenantId: string) =>
  (Object.keys(PARTITION_SUFFIXES) as TenantPartitionKind[]).map((kind) => partitionOf(tenantId, kind));

export const keys = {
  tenant: (tenantId: string) => ({ PK: partitionOf(tenantId), SK: "TENANT" }),
  /** GSI1 projection that lists every tenant for the platform operator, oldest first. */
  tenantIndex: (createdAt: string, tenantId: string) => ({
    GSI1PK: "TENANTS",
    GSI1SK: `${createdAt}#${tenantId}`,
  }),
  /** Platform-level guard: one slug, one tenant. */
  slug: (slug: string) => ({ PK: `SLUG#${slug}`, SK: "SLUG" }),

  extension: (tenantId: string, extensionId: string) => ({
    PK: partitionOf(tenantId),
    SK: `EXT#${extensionId}`,
  }),
  extensionPrefix: "EXT#",
  /** Guard items that make email, number and registration name unique inside a tenant. */
  unique: (tenantId: string, field: UniqueField, value: string) => ({
    PK: partitionOf(tenantId),
    SK: `UNIQ#${field}#${field === "email" ? value.toLowerCase() : value}`,
  }),

  organization: (tenantId: string, organizationId: string) => ({
    PK: partitionOf(tenantId),
    SK: `ORG#${organizationId}`,
  }),
  organizationPrefix: "ORG#",
  organizationName: (tenantId: string, name: string) => ({
    PK: partitionOf(tenantId),
    SK: `UNIQ#orgName#${name.toLowerCase()}`,
  }),

  session: (tenantId: string, sessionId: string) => ({ PK: partitionOf(tenantId), SK: `SESSION#${sessionId}` }),
  /** One per extension: a newer welcome email overwrites it, which retires the older link. */
  quickLogin: (tenantId: string, extensionId: string) => ({
    PK: partitionOf(tenantId),
    SK: `QUICKLOGIN#${extensionId}`,
  }),

  loginSecuritySettings: (tenantId: string) => ({ PK: partitionOf(tenantId), SK: "SETTINGS#LOGIN_SECURITY" }),
  /** Recent failed logins from one IP by one client kind (web or linkus). */
  loginFailures: (tenantId: string, clientKind: string, ip: string) => ({
    PK: partitionOf(tenantId),
    SK: `LOGINFAIL#${clientKind}#${ip}`,
  }),
  loginFailuresPrefix: "LOGINFAIL#",
  blockedIp: (tenantId: string, ip: string) => ({ PK: partitionOf(tenantId), SK: `BLOCK#${ip}` }),
  blockedIpPrefix: "BLOCK#",

  /** ULID sort keys: the event log reads in time order, and a time range is a key range. */
  event: (tenantId: string, eventId: string) => ({ PK: partitionOf(tenantId), SK: `EVENT#${eventId}` }),
  eventPrefix: "EVENT#",
  notificationSetting: (tenantId: string, eventType: string) => ({
    PK: partitionOf(tenantId),
    SK: `NOTIFYSET#${eventType}`,
  }),
  notificationSettingPrefix: "NOTIFYSET#",
  notificationContact: (tenantId: string, contactId: string) => ({
    PK: partitionOf(tenantId),
    SK: `NOTIFYCONTACT#${contactId}`,
  }),
  notificationContactPrefix: "NOTIFYCONTACT#",
  outbox: (tenantId: string, messageId: string) => ({ PK: partitionOf(tenantId), SK: `OUTBOX#${messageId}` }),
  outboxPrefix: "OUTBOX#",
  /** GSI1 partitions of notifications waiting to be sent, spread so no one partition runs hot. */
  outboxDueShards: 8,
  outboxDue: (shard: number, dueAt: string, tenantId: string, messageId: string) => ({
    GSI1PK: `OUTBOX#DUE#${shard}`,
    GSI1SK: `${dueAt}#${tenantId}#${messageId}`,
  }),

  role: (tenantId: string, roleId: string) => ({ PK: partitionOf(tenantId), SK: `ROLE#${roleId}` }),
  rolePrefix: "ROLE#",
  roleName: (tenantId: string, name: string) => ({
    PK: partitionOf(tenantId),
    SK: `UNIQ#roleName#${name.toLowerCase()}`,
  }),

  /** Linkus client permission rules (menu, operation) and Company Contacts rules. */
  rule: (tenantId: string, family: "linkus" | "companyContacts", ruleId: string) => ({
    PK: partitionOf(tenantId),
    SK: `RULE#${family}#${ruleId}`,
  }),
  rulePrefix: "RULE#",

  /** Per-topic change feeds: a counter, and one item per change under a zero-padded sequence. */
  feedCounter: (tenantId: string, topic: string) => ({ PK: partitionOf(tenantId), SK: `FEEDSEQ#${topic}` }),
  feedEntry: (tenantId: string, topic: string, sequence: number) => ({
    PK: partitionOf(tenantId),
    SK: `FEED#${topic}#${String(sequence).padStart(12, "0")}`,
  }),
  feedPrefix: (topic: string) => `FEED#${topic}#`,

  /** Call logs, voicemails, recordings: one partition per tenant, newest last per extension and kind. */
  record: (tenantId: string, extensionId: string, kind: string, recordId: string) => ({
    PK: partitionOf(tenantId, "records"),
    SK: `${extensionId}#${kind}#${recordId}`,
  }),
  recordPrefix: (extensionId: string, kind: string) => `${extensionId}#${kind}#`,
  recordPartition: (tenantId: string) => partitionOf(tenantId, "records"),

  /** Company contacts, their search index, and personal contacts: partitions of their own. */
  companyContact: (tenantId: string, contactId: string) => ({
    PK: partitionOf(tenantId, "companyContacts"),
    SK: `C#${contactId}`,
  }),
  contactIndexPartition: (tenantId: string) => partitionOf(tenantId, "contactIndex"),
  personalContact: (tenantId: string, extensionId: string, contactId: string) => ({
    PK: partitionOf(tenantId, "personalContacts"),
    SK: `${extensionId}#${contactId}`,
  }),
  personalContactPrefix: (extensionId: string) => `${extensionId}#`,
  importJob: (tenantId: string, jobId: string) => ({ PK: partitionOf(tenantId, "jobs"), SK: `IMPORT#${jobId}` }),
  /** Held by the tenant's one running import job (names it), so a second import is refused. */
  importLock: (tenantId: string) => ({ PK: partitionOf(tenantId, "jobs"), SK: "LOCK#IMPORT" }),
  /** A SIP registration (contact binding) of an extension; TTL = its expiry. */
  registration: (tenantId: string, extensionId: string, bindingId: string) => ({
    PK: partitionOf(tenantId, "registrations"),
    SK: `${extensionId}#${bindingId}`,
  }),
  registrationPrefix: (extensionId: string) => `${extensionId}#`,
  registrationPartition: (tenantId: string) => partitionOf(tenantId, "registrations"),
  /**
   * Counts changes of registered state in a tenant (an extension's first binding, or its last one
   * gone); presence re-lists the partition only when it moved. "~" sorts after every extension id.
   */
  registrationEpoch: (tenantId: string) => ({ PK: partitionOf(tenantId, "registrations"), SK: "~EPOCH" }),
  /**
   * Counts changes to what the SIP listener caches of a tenant (the tenant, its extensions'
   * credentials, numbers and limits): every task drops its cached copies when it moves.
   */
  directoryVersion: (tenantId: string) => ({ PK: partitionOf(tenantId, "registrations"), SK: "~DIRECTORY" }),
  phonebookSettings: (tenantId: string) => ({ PK: partitionOf(tenantId), SK: "SETTINGS#PHONEBOOK" }),
  importChunk: (tenantId: string, jobId: string, chunk: number) => ({
    PK: partitionOf(tenantId, "jobs"),
    SK: `IMPORT#${jobId}#CHUNK#${String(chunk).padStart(6, "0")}`,
  }),
} as const;

export const tenantPartition = (tenantId: string) => partitionOf(tenantId);
