import { unseal } from "../layers/core/auth/sealed.js";
import type { Deps } from "../layers/core/deps.js";
import { readDirectoryVersion } from "../layers/core/entities/directory-version.js";
import {
  type ExtensionRecord,
  extensionIdByUnique,
  getExtensionRecord,
  listExtensionRecords,
  registrationSecretContext,
} from "../layers/core/entities/extension.js";
import { listBlockedIpRecords } from "../layers/core/entities/login-security.js";
import { getSessionRecord, type SessionRecord } from "../layers/core/entities/session.js";
import { getSlugGuard } from "../layers/core/entities/tenant.js";
import type { LoginSecuritySettings } from "../layers/core/schemas/security.js";
import type { SipDigestAlgorithm } from "../layers/core/schemas/tenants.js";
import { loginSecuritySettings } from "../layers/core/services/login-security.js";
import { sessionIsLive } from "../layers/core/services/sessions.js";
import { findTenantBySlug } from "../layers/core/services/tenants.js";
import { BoundedMap } from "../layers/core/util/bounded-map.js";
import { singleFlight } from "../layers/core/util/single-flight.js";

/**
 * Read-through caches of what the listener looks up per message: tenants by slug, extensions by
 * registration name or number, sessions. Tenant and extension entries stay until the tenant's
 * directory version moves (every write the listener cares about bumps it, see
 * layers/core/entities/directory-version.ts); the version is read at most once per
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

/**
 * A read-through cache: an entry serves while it is younger than `maxAgeMs` and, for entries
 * tagged with a directory version, while the tenant's version has not moved. Concurrent misses
 * of one key share one load; a failed load caches nothing.
 */
class ReadThrough<T> {
  private readonly entries: BoundedMap<string, { value: T; version?: number; loadedAt: number }>;
  private readonly flight = singleFlight<string, T>();
  constructor(
    private readonly maxAgeMs: number,
    max = 100_000,
  ) {
    this.entries = new BoundedMap(max);
  }

  get(key: string, load: () => Promise<T>, version?: number): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && hit.version === version && Date.now() - hit.loadedAt < this.maxAgeMs) return Promise.resolve(hit.value);
    return this.flight(key, async () => {
      const value = await load();
      this.entries.set(key, { value, version, loadedAt: Date.now() });
      return value;
    });
  }

  delete(key: string): void {
    this.entries.delete(key);
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
  private readonly slugs: ReadThrough<string | undefined>;
  private readonly tenants: ReadThrough<TenantInfo | undefined>;
  private readonly guards: ReadThrough<string | undefined>;
  private readonly extensions: ReadThrough<ExtensionInfo | undefined>;
  private readonly sessions: ReadThrough<SessionRecord | undefined>;
  private readonly lists: ReadThrough<ExtensionInfo[]>;
  private readonly security: ReadThrough<LoginSecurityState>;
  private readonly versions: ReadThrough<number>;
  stats = { versionReads: 0, loads: 0 };

  constructor(
    private readonly deps: Deps,
    options: DirectoryOptions = { versionCheckMs: 1_000, maxAgeMs: 60_000, sessionTtlMs: 2_000 },
  ) {
    // Slug → tenant id never changes while the tenant exists (slugs are immutable).
    this.slugs = new ReadThrough(options.maxAgeMs);
    this.tenants = new ReadThrough(options.maxAgeMs, 200_000);
    this.guards = new ReadThrough(options.maxAgeMs, 200_000);
    this.extensions = new ReadThrough(options.maxAgeMs, 200_000);
    this.sessions = new ReadThrough(options.sessionTtlMs);
    this.lists = new ReadThrough(options.maxAgeMs, 10_000);
    this.security = new ReadThrough(options.maxAgeMs, 200_000);
    this.versions = new ReadThrough(options.versionCheckMs);
  }

  async tenantBySlug(slug: string): Promise<TenantInfo | undefined> {
    const lower = slug.toLowerCase();
    const tenantId = await this.slugs.get(lower, async () => {
      this.stats.loads++;
      return (await getSlugGuard(this.deps, lower, false))?.tenantId;
    });
    if (!tenantId) {
      this.slugs.delete(lower); // a tenant provisioned later must be found at once
      return undefined;
    }
    const version = await this.version(tenantId);
    const tenant = await this.tenants.get(
      tenantId,
      async () => {
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
      },
      version,
    );
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
    return this.extensions.get(
      `${tenantId}/${extensionId}`,
      async () => {
        this.stats.loads++;
        const record = await getExtensionRecord(this.deps, tenantId, extensionId, false);
        return record ? this.toInfo(record) : undefined;
      },
      version,
    );
  }

  /** Every extension of a tenant (for presence snapshots). */
  async listExtensions(tenantId: string): Promise<ExtensionInfo[]> {
    const version = await this.version(tenantId);
    return this.lists.get(
      tenantId,
      async () => {
        const out: ExtensionInfo[] = [];
        for (const record of await listExtensionRecords(this.deps, tenantId)) out.push(await this.toInfo(record));
        return out;
      },
      version,
    );
  }

  /**
   * The tenant's login-security settings and blocks. Blocking, unblocking and saving the settings
   * bump the directory version, so this is at most `versionCheckMs` behind (the gate itself
   * reads blocks consistently; this copy serves requests from devices already registered).
   */
  async loginSecurity(tenantId: string): Promise<LoginSecurityState> {
    const version = await this.version(tenantId);
    return this.security.get(
      tenantId,
      async () => {
        this.stats.loads++;
        const [settings, blocks] = await Promise.all([
          loginSecuritySettings(this.deps, tenantId),
          listBlockedIpRecords(this.deps, tenantId, { consistent: true }),
        ]);
        return { settings, blocks: new Map(blocks.map((b) => [b.ip, b.blockedUntilMs])) };
      },
      version,
    );
  }

  /** Whether a Linkus login session still stands (not logged out, password unchanged, not expired). */
  async liveSession(tenantId: string, sessionId: string): Promise<ExtensionInfo | undefined> {
    const session = await this.sessions.get(`${tenantId}/${sessionId}`, () =>
      getSessionRecord(this.deps, tenantId, sessionId, false),
    );
    if (!session) return undefined;
    const extension = await this.extensionById(tenantId, session.extensionId);
    if (!extension || !sessionIsLive(session, extension.record, Date.now())) return undefined;
    return extension;
  }

  prune(): void {
    const caches = [this.slugs, this.sessions, this.versions, this.tenants, this.guards, this.extensions];
    for (const cache of [...caches, this.lists, this.security]) cache.prune();
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
    return this.guards.get(
      `${tenantId}/${field}/${value}`,
      () => {
        this.stats.loads++;
        return extensionIdByUnique(this.deps, tenantId, field, value, false);
      },
      version,
    );
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
