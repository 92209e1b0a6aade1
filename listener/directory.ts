import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { unseal } from "../layers/core/auth/sealed.js";
import type { Deps } from "../layers/core/deps.js";
import { keys } from "../layers/core/keys.js";
import type { SipDigestAlgorithm } from "../layers/core/schemas/tenants.js";
import { type ExtensionRecord, registrationSecretContext } from "../layers/core/services/records.js";
import { type SessionRecord, sessionIsLive } from "../layers/core/services/sessions.js";
import { findTenantBySlug } from "../layers/core/services/tenants.js";
import { queryAll, sortKeyStartsWith } from "../layers/core/storage/db.js";

/**
 * Read-through cache of what the listener looks up per message: tenants by slug, extensions by
 * registration name or number, sessions. Entries live `ttlMs` (default 2 s), so an extension
 * saved through the API (new password, lower registration limit, deletion) applies within
 * that time on every task, without any invalidation messages between services.
 */
export interface TenantInfo {
  id: string;
  slug: string;
  active: boolean;
  /** The tenant's digest challenges in order; undefined: the listener's default. */
  digestAlgorithms: SipDigestAlgorithm[] | undefined;
}

export interface ExtensionInfo {
  tenantId: string;
  id: string;
  number: string;
  name: string;
  registrationName: string;
  concurrentRegistrations: number;
  credentialVersion: number;
  /** The SIP password, unsealed; never logged. */
  password: string;
  record: ExtensionRecord;
}

class TtlCache<T> {
  private readonly entries = new Map<string, { value: T; until: number; pending?: Promise<T> }>();
  constructor(
    private readonly ttlMs: number,
    private readonly max = 100_000,
  ) {}

  async get(key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.pending ?? hit.value;
    const pending = load();
    this.entries.set(key, { value: undefined as T, until: now + this.ttlMs, pending });
    try {
      const value = await pending;
      this.entries.set(key, { value, until: Date.now() + this.ttlMs });
      if (this.entries.size > this.max) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
      return value;
    } catch (error) {
      this.entries.delete(key);
      throw error;
    }
  }

  prune(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.until <= now) this.entries.delete(key);
  }
}

export class Directory {
  private readonly tenants: TtlCache<TenantInfo | undefined>;
  private readonly guards: TtlCache<string | undefined>;
  private readonly extensions: TtlCache<ExtensionInfo | undefined>;
  private readonly sessions: TtlCache<SessionRecord | undefined>;
  private readonly lists: TtlCache<ExtensionInfo[]>;

  constructor(
    private readonly deps: Deps,
    ttlMs = 2_000,
  ) {
    this.tenants = new TtlCache(ttlMs);
    this.guards = new TtlCache(ttlMs);
    this.extensions = new TtlCache(ttlMs);
    this.sessions = new TtlCache(ttlMs);
    this.lists = new TtlCache(ttlMs, 10_000);
  }

  tenantBySlug(slug: string): Promise<TenantInfo | undefined> {
    return this.tenants.get(slug.toLowerCase(), async () => {
      const record = await findTenantBySlug(this.deps, slug.toLowerCase());
      if (!record) return undefined;
      return {
        id: record.id,
        slug: record.slug,
        active: record.status === "active",
        digestAlgorithms: record.sipDigestAlgorithms,
      };
    });
  }

  async extensionByRegistrationName(tenantId: string, name: string): Promise<ExtensionInfo | undefined> {
    const id = await this.guard(tenantId, "registrationName", name);
    return id ? this.extensionById(tenantId, id) : undefined;
  }

  async extensionByNumber(tenantId: string, number: string): Promise<ExtensionInfo | undefined> {
    const id = await this.guard(tenantId, "number", number);
    return id ? this.extensionById(tenantId, id) : undefined;
  }

  extensionById(tenantId: string, extensionId: string): Promise<ExtensionInfo | undefined> {
    return this.extensions.get(`${tenantId}/${extensionId}`, async () => {
      const result = await this.deps.db.send(
        new GetCommand({ TableName: this.deps.config.tableName, Key: keys.extension(tenantId, extensionId) }),
      );
      const record = result.Item as ExtensionRecord | undefined;
      return record ? this.toInfo(record) : undefined;
    });
  }

  /** Every extension of a tenant (for presence snapshots). */
  listExtensions(tenantId: string): Promise<ExtensionInfo[]> {
    return this.lists.get(tenantId, async () => {
      const records = await queryAll<ExtensionRecord>(this.deps.db, {
        TableName: this.deps.config.tableName,
        ...sortKeyStartsWith(keys.tenant(tenantId).PK, keys.extensionPrefix),
      });
      const out: ExtensionInfo[] = [];
      for (const record of records) out.push(await this.toInfo(record));
      return out;
    });
  }

  /** Whether a Linkus login session still stands (not logged out, password unchanged, not expired). */
  async liveSession(tenantId: string, sessionId: string): Promise<ExtensionInfo | undefined> {
    const session = await this.sessions.get(`${tenantId}/${sessionId}`, async () => {
      const result = await this.deps.db.send(
        new GetCommand({ TableName: this.deps.config.tableName, Key: keys.session(tenantId, sessionId) }),
      );
      return result.Item as SessionRecord | undefined;
    });
    if (!session) return undefined;
    const extension = await this.extensionById(tenantId, session.extensionId);
    if (!extension || !sessionIsLive(session, extension.record, Date.now())) return undefined;
    return extension;
  }

  prune(): void {
    for (const cache of [this.tenants, this.guards, this.extensions, this.sessions, this.lists]) {
      (cache as TtlCache<unknown>).prune();
    }
  }

  private guard(tenantId: string, field: "registrationName" | "number", value: string) {
    return this.guards.get(`${tenantId}/${field}/${value}`, async () => {
      const result = await this.deps.db.send(
        new GetCommand({ TableName: this.deps.config.tableName, Key: keys.unique(tenantId, field, value) }),
      );
      return result.Item?.extensionId as string | undefined;
    });
  }

  private async toInfo(record: ExtensionRecord): Promise<ExtensionInfo> {
    const { dataKey } = await this.deps.keys();
    return {
      tenantId: record.tenantId,
      id: record.id,
      number: record.number,
      name: `${record.firstName} ${record.lastName}`.trim(),
      registrationName: record.registrationName,
      concurrentRegistrations: record.concurrentRegistrations,
      credentialVersion: record.credentialVersion,
      password: unseal(
        record.registrationPasswordSealed,
        dataKey,
        registrationSecretContext(record.tenantId, record.id),
      ),
      record,
    };
  }
}
