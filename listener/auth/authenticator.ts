import type { Deps } from "../../layers/core/deps.js";
import { logger } from "../../layers/core/logger.js";
import { recordEvent } from "../../layers/core/services/events.js";
import {
  assertNotBlocked,
  BlockedIpError,
  countFailedLogin,
  loginSecuritySettings,
} from "../../layers/core/services/login-security.js";
import { linkusSessionOf, linkusSipPassword } from "../../layers/core/sip/linkus-credentials.js";
import type { Directory, ExtensionInfo, TenantInfo } from "../directory.js";
import { formatDigestChallenge, parseDigestCredentials } from "../sip/auth-fields.js";
import type { SipRequest } from "../sip/message.js";
import { parseUri } from "../sip/uri.js";
import type { Flow } from "../transport/flow.js";
import {
  challenges,
  type DigestAlgorithm,
  digestResponse,
  type NonceManager,
  normalizeAlgorithm,
  responseMatches,
} from "./digest.js";
import type { FailureLimiter } from "./limiter.js";

/** A final answer the caller of a layer sends (the layer itself never touches a socket). */
export interface Answer {
  status: number;
  reason: string;
  headers?: [string, string][];
  /** The To tag of a response that creates a dialog (default: a fresh one). */
  toTag?: string;
}

export type Identity =
  | { extension: ExtensionInfo; kind: "phone" }
  | { extension: ExtensionInfo; kind: "linkus"; sessionId: string };

export type AuthOutcome = { identity: Identity } | { answer: Answer };

export interface AuthenticatorOptions {
  deps: Deps;
  directory: Directory;
  nonces: NonceManager;
  limiter: FailureLimiter;
  /** Feed failed registrations to the tenant's login-security blocked-IP list (kind "linkus"). */
  feedLoginSecurity: boolean;
  /** The challenges offered when the tenant has not chosen its own. */
  defaultAlgorithms: readonly DigestAlgorithm[];
  /** Whether a URI names this listener itself (no user part). */
  isOwnAddress: (uri: string) => boolean;
  /** A request on this flow authenticated (a TCP connection then earns the longer idle limit). */
  onAuthenticated?: (flow: Flow) => void;
}

/**
 * Digest authentication of REGISTER (401) and of proxied requests (407), RFC 3261 §22 and RFC
 * 8760, for the tenant named by the Request-URI's host. The failure gate (the in-memory limiter
 * and the tenant's login-security block list) is checked before any password.
 */
export class Authenticator {
  private readonly blockCache = new Map<string, { blocked: boolean; until: number }>();

  constructor(private readonly options: AuthenticatorOptions) {}

  async tenantOf(request: SipRequest): Promise<{ tenant: TenantInfo } | { answer: Answer }> {
    let host: string;
    try {
      host = parseUri(request.uri, { allowHeaders: false }).host;
    } catch {
      return { answer: { status: 416, reason: "Unsupported URI Scheme" } };
    }
    const tenant = await this.options.directory.tenantBySlug(host);
    if (!tenant) return { answer: { status: 404, reason: "Domain not served here" } };
    if (!tenant.active) return { answer: { status: 403, reason: "Tenant suspended" } };
    return { tenant };
  }

  async authenticate(request: SipRequest, source: Flow, tenant: TenantInfo): Promise<AuthOutcome> {
    const sourceIp = source.address;
    const proxy = request.method !== "REGISTER";
    const { limiter } = this.options;
    if (limiter.blocked(sourceIp)) return { answer: { status: 403, reason: "Too many failed attempts" } };
    if (this.options.feedLoginSecurity && (await this.blockedByLoginSecurity(tenant.id, sourceIp))) {
      return { answer: { status: 403, reason: "Blocked by login security" } };
    }
    const challenge = (stale: boolean): AuthOutcome => {
      const headerName = proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
      const offered = challenges(
        this.options.nonces,
        tenant.slug,
        stale,
        tenant.digestAlgorithms ?? this.options.defaultAlgorithms,
      );
      return {
        answer: {
          status: proxy ? 407 : 401,
          reason: proxy ? "Proxy Authentication Required" : "Unauthorized",
          headers: offered.map((c) => [headerName, formatDigestChallenge(c)]),
        },
      };
    };
    const header = request.headers
      .getAll(proxy ? "Proxy-Authorization" : "Authorization")
      .find((value) => realmOf(value) === tenant.slug);
    if (!header) return challenge(false);
    let credentials: ReturnType<typeof parseDigestCredentials>;
    try {
      credentials = parseDigestCredentials(header);
    } catch {
      return { answer: { status: 400, reason: "Malformed credentials" } };
    }
    const algorithm = normalizeAlgorithm(credentials.algorithm);
    const offered = tenant.digestAlgorithms ?? this.options.defaultAlgorithms;
    if (!algorithm || !offered.includes(algorithm) || credentials.qop !== "auth" || credentials.userhash) {
      return challenge(false);
    }
    // RFC 7616 §3.4.6: the digest covers `uri`; one that names another target was not computed
    // for this request (a captured answer replayed against another Request-URI). Some clients
    // (sipp) put the address they sent to, which is this proxy's own: that names no other target.
    if (!sameRequestUri(credentials.uri, request.uri) && !this.options.isOwnAddress(credentials.uri)) {
      return { answer: { status: 400, reason: "Digest uri does not match the Request-URI" } };
    }
    const nonceState = this.options.nonces.check(credentials.nonce, tenant.slug);
    if (nonceState === "invalid") return challenge(false);

    const identity = await this.identify(tenant, credentials.username);
    const password = identity ? await this.passwordOf(tenant, identity) : undefined;
    const expected =
      password === undefined ? undefined : digestResponse(algorithm, credentials, request.method, password);
    if (!identity || expected === undefined || !responseMatches(expected, credentials.response)) {
      if (this.options.feedLoginSecurity) void this.countFailure(tenant, sourceIp);
      if (limiter.fail(sourceIp)) {
        logger.warn("SIP authentication failures: IP blocked", { sourceIp, tenantId: tenant.id });
        return { answer: { status: 403, reason: "Too many failed attempts" } };
      }
      return challenge(false);
    }
    if (nonceState === "stale" || !this.options.nonces.accept(credentials.nonce, credentials.nc)) {
      return challenge(true);
    }
    this.options.onAuthenticated?.(source);
    // No reset of the IP's failure count here: another identity's success (a second tenant's phone
    // behind the same NAT, or the attacker's own account) must not wipe a guesser's record.
    return { identity };
  }

  private async identify(tenant: TenantInfo, username: string): Promise<Identity | undefined> {
    const sessionId = linkusSessionOf(username);
    if (sessionId !== undefined) {
      const extension = await this.options.directory.liveSession(tenant.id, sessionId);
      return extension ? { extension, kind: "linkus", sessionId } : undefined;
    }
    const extension = await this.options.directory.extensionByRegistrationName(tenant.id, username);
    return extension ? { extension, kind: "phone" } : undefined;
  }

  private async passwordOf(tenant: TenantInfo, identity: Identity): Promise<string> {
    if (identity.kind === "phone") return identity.extension.password;
    return linkusSipPassword((await this.options.deps.keys()).tokenKey, tenant.id, identity.sessionId);
  }

  private async blockedByLoginSecurity(tenantId: string, ip: string): Promise<boolean> {
    const key = `${tenantId}/${ip}`;
    const hit = this.blockCache.get(key);
    if (hit && hit.until > Date.now()) return hit.blocked;
    let blocked = false;
    try {
      const settings = await loginSecuritySettings(this.options.deps, tenantId);
      await assertNotBlocked(this.options.deps, tenantId, ip, settings);
    } catch (error) {
      if (!(error instanceof BlockedIpError)) throw error;
      blocked = true;
    }
    if (this.blockCache.size > 50_000) this.blockCache.clear();
    this.blockCache.set(key, { blocked, until: Date.now() + 2_000 });
    return blocked;
  }

  /**
   * A wrong SIP password counts in the tenant's login-security list like a Linkus login; the
   * request that blocks the IP records seed 000's "Linkus User Blocked Out" event, which notifies
   * as the tenant's settings say (the same event a Linkus login block records).
   */
  private async countFailure(tenant: TenantInfo, ip: string): Promise<void> {
    const tenantId = tenant.id;
    try {
      const settings = await loginSecuritySettings(this.options.deps, tenantId);
      if (await countFailedLogin(this.options.deps, tenantId, ip, "linkus", settings)) {
        this.blockCache.delete(`${tenantId}/${ip}`);
        logger.warn("SIP authentication failures blocked an IP by login security", { tenantId, sourceIp: ip });
        await recordEvent(this.options.deps, tenant, {
          event: "linkus_user_blocked_out",
          sourceIp: ip,
          details: `${ip} blocked for ${settings.blockMinutes} minutes after ${settings.maxFailures} failed SIP registrations or calls within ${settings.windowMinutes} minutes`,
        });
      }
    } catch (error) {
      logger.error("Could not count a failed SIP authentication", { error: error as Error });
    }
  }
}

function realmOf(value: string): string | undefined {
  return /realm\s*=\s*"?([^",]*)"?/i.exec(value)?.[1]?.toLowerCase();
}

/** Equal as RFC 3261 §19.1.4 compares URIs, for what a digest `uri` and a Request-URI can differ in. */
function sameRequestUri(digestUri: string, requestUri: string): boolean {
  if (digestUri === requestUri) return true;
  try {
    const a = parseUri(digestUri);
    const b = parseUri(requestUri);
    return a.scheme === b.scheme && a.user === b.user && a.host === b.host && (a.port ?? 5060) === (b.port ?? 5060);
  } catch {
    return false;
  }
}
