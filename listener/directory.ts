import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { unseal } from "../layers/core/auth/sealed.js";
import type { Deps } from "../layers/core/deps.js";
import { keys } from "../layers/core/keys.js";
import type { LoginSecuritySettings } from "../layers/core/schemas/security.js";
import type { SipDigestAlgorithm } from "../layers/core/schemas/tenants.js";
import { readDirectoryVersion } from "../layers/core/services/directory-version.js";
import { type BlockRecord, loginSecuritySettings } from "../layers/core/services/login-security.js";
import { type ExtensionRecord, registrationSecretContext } from "../layers/core/services/records.js";
import { type SessionRecord, sessionIsLive } from "../layers/core/services/sessions.js";
import { findTenantBySlug } from "../layers/core/services/tenants.js";
import { queryAll, sortKeyStartsWith } from "../layers/core/storage/db.js";

/**
 * Read-through caches of what the listener looks up per message: tenants by slug, extensions by
 * registration name or number, sessions. Tenant and extension entries stay until the tenant's
 * directory version moves (every write the listener cares about bumps it, see
 * layers/core/services/directory-version.ts); the version is read at most once per
 * `versionCheckMs` per tenant, so a saved extension (new password, lower limit, deletion) applies
 * on every task within about that, and a REGISTER refresh costs no DynamoDB read. Entries are
 * also dropped after `maxAgeMs` should a bump have failed. Sessions (Linkus clients) keep a
 * short TTL: logouts do not bump the version.
 */
export interface TenantInfo {
  id: string;
  /** The PBX's name, for events. */
  name: string;
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

/** A tenant's login-security rule and its blocked IPs (address → blocked until, ms). */
export interface LoginSecurityState {
  settings: LoginSecuritySettings;
  blocks: Map<string, number>;
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

  delete(key: string): void {
    this.entries.delete(key);
  }

  prune(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.until <= now) this.entries.delete(key);
  }
}

/** Entries tagged with the tenant's directory version at load; stale once it moved. */
class VersionedCache<T> {
  private readonly entries = new Map<string, { value: T; version: number; loadedAt: number }>();
  private readonly pending = new Map<string, Promise<T>>();
  constructor(
    private readonly maxAgeMs: number,
    private readonly max = 200_000,
  ) {}

  async get(key: string, version: number, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && hit.version === version && Date.now() - hit.loadedAt < this.maxAgeMs) return hit.value;
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const loading = load().then(
      (value) => {
        this.pending.delete(key);
        this.entries.delete(key);
        this.entries.set(key, { value, version, loadedAt: Date.now() });
        if (this.entries.size > this.max) {
          const oldest = this.entries.keys().next().value;
          if (oldest !== undefined) this.entries.delete(oldest);
        }
        return value;
      },
      (error: unknown) => {
        this.pending.delete(key);
        throw error;
      },
    );
    this.pending.set(key, loading);
    return loading;
  }

  prune(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (now - entry.loadedAt >= this.maxAgeMs) this.entries.delete(key);
  }
}

export interface DirectoryOptions {
  /** How often a tenant's directory version is read again (at most). */
  versionCheckMs: number;
  /** Longest a cached tenant or extension is kept whatever the version says. */
  maxAgeMs: number;
  /** Sessions' TTL. */
  sessionTtlMs: number;
}

export class Directory {
  private readonly slugs: TtlCache<string | undefined>;
  private readonly tenants: VersionedCache<TenantInfo | undefined>;
  private readonly guards: VersionedCache<string | undefined>;
  private readonly extensions: VersionedCache<ExtensionInfo | undefined>;
  private readonly sessions: TtlCache<SessionRecord | undefined>;
  private readonly lists: VersionedCache<ExtensionInfo[]>;
  private readonly security: VersionedCache<LoginSecurityState>;
  private readonly versions: TtlCache<number>;
  stats = { versionReads: 0, loads: 0 };

  constructor(
    private readonly deps: Deps,
    options: DirectoryOptions = { versionCheckMs: 1_000, maxAgeMs: 60_000, sessionTtlMs: 2_000 },
  ) {
    // Slug → tenant id never changes while the tenant exists (slugs are immutable).
    this.slugs = new TtlCache(options.maxAgeMs);
    this.tenants = new VersionedCache(options.maxAgeMs);
    this.guards = new VersionedCache(options.maxAgeMs);
    this.extensions = new VersionedCache(options.maxAgeMs);
    this.sessions = new TtlCache(options.sessionTtlMs);
    this.lists = new VersionedCache(options.maxAgeMs, 10_000);
    this.security = new VersionedCache(options.maxAgeMs);
    this.versions = new TtlCache(options.versionCheckMs);
  }

  async tenantBySlug(slug: string): Promise<TenantInfo | undefined> {
    const lower = slug.toLowerCase();
    const tenantId = await this.slugs.get(lower, async () => {
      this.stats.loads++;
      const result = await this.deps.db.send(
        new GetCommand({ TableName: this.deps.config.tableName, Key: keys.slug(lower) }),
      );
      return result.Item?.tenantId as string | undefined;
    });
    if (!tenantId) {
      this.slugs.delete(lower); // a tenant provisioned later must be found at once
      return undefined;
    }
    const version = await this.version(tenantId);
    const tenant = await this.tenants.get(tenantId, version, async () => {
      this.stats.loads++;
      const record = await findTenantBySlug(this.deps, lower);
      if (!record || record.id !== tenantId) return undefined;
      return {
        id: record.id,
        name: record.name,
        slug: record.slug,
        active: record.status === "active",
        digestAlgorithms: record.sipDigestAlgorithms,
      };
    });
    if (!tenant) this.slugs.delete(lower);
    return tenant;
  }

  async extensionByRegistrationName(tenantId: string, name: string): Promise<ExtensionInfo | undefined> {
    const id = await this.guard(tenantId, "registrationName", name);
    return id ? this.extensionById(tenantId, id) : undefined;
  }

  async extensionByNumber(tenantId: string, number: string): Promise<ExtensionInfo | undefined> {
    const id = await this.guard(tenantId, "number", number);
    return id ? this.extensionById(tenantId, id) : undefined;
  }

  /** The extension a Request-URI user names: its number, else its registration name. */
  async extensionByTarget(tenantId: string, user: string | undefined): Promise<ExtensionInfo | undefined> {
    if (user === undefined) return undefined;
    return (await this.extensionByNumber(tenantId, user)) ?? (await this.extensionByRegistrationName(tenantId, user));
  }

  async extensionById(tenantId: string, extensionId: string): Promise<ExtensionInfo | undefined> {
    const version = await this.version(tenantId);
    return this.extensions.get(`${tenantId}/${extensionId}`, version, async () => {
      this.stats.loads++;
      const result = await this.deps.db.send(
        new GetCommand({ TableName: this.deps.config.tableName, Key: keys.extension(tenantId, extensionId) }),
      );
      const record = result.Item as ExtensionRecord | undefined;
      return record ? this.toInfo(record) : undefined;
    });
  }

  /** Every extension of a tenant (for presence snapshots). */
  async listExtensions(tenantId: string): Promise<ExtensionInfo[]> {
    const version = await this.version(tenantId);
    return this.lists.get(tenantId, version, async () => {
      const records = await queryAll<ExtensionRecord>(this.deps.db, {
        TableName: this.deps.config.tableName,
        ...sortKeyStartsWith(keys.tenant(tenantId).PK, keys.extensionPrefix),
      });
      const out: ExtensionInfo[] = [];
      for (const record of records) out.push(await this.toInfo(record));
      return out;
    });
  }

  /**
   * The tenant's login-security settings and blocks. Blocking, unblocking and saving the settings
   * bump the directory version, so this is at most `versionCheckMs` behind (the gate itself
   * reads blocks consistently; this copy serves requests from devices already registered).
   */
  async loginSecurity(tenantId: string): Promise<LoginSecurityState> {
    const version = await this.version(tenantId);
    return this.security.get(tenantId, version, async () => {
      this.stats.loads++;
      const [settings, blocks] = await Promise.all([
        loginSecuritySettings(this.deps, tenantId),
        queryAll<BlockRecord>(this.deps.db, {
          TableName: this.deps.config.tableName,
          ...sortKeyStartsWith(keys.tenant(tenantId).PK, keys.blockedIpPrefix),
          ConsistentRead: true,
        }),
      ]);
      return { settings, blocks: new Map(blocks.map((b) => [b.ip, b.blockedUntilMs])) };
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
    for (const cache of [this.slugs, this.sessions, this.versions]) (cache as TtlCache<unknown>).prune();
    for (const cache of [this.tenants, this.guards, this.extensions, this.lists, this.security]) {
      (cache as VersionedCache<unknown>).prune();
    }
  }

  /** The tenant's directory version, read at most once per `versionCheckMs` (single flight). */
  private version(tenantId: string): Promise<number> {
    return this.versions.get(tenantId, () => {
      this.stats.versionReads++;
      return readDirectoryVersion(this.deps, tenantId);
    });
  }

  private async guard(tenantId: string, field: "registrationName" | "number", value: string) {
    const version = await this.version(tenantId);
    return this.guards.get(`${tenantId}/${field}/${value}`, version, async () => {
      this.stats.loads++;
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
